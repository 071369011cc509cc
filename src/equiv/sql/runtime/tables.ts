// MetaData, Table and TypeDecorator of the reference's sqlalchemy. The reference's tables come
// from the models (reference.ts), so MetaData's DDL is a no-op there; a Table object used as a
// statement (reflection, `table.delete()`) is not run here and says so when used.
import { UnsupportedInReference } from './schema.js';
import type { ColumnType } from '../schema.js';

export class MetaData {
  bind: unknown = null;
  readonly tables: Record<string, Table> = {};
  constructor(bind?: unknown) {
    this.bind = bind && typeof bind === 'object' && 'bind' in bind ? (bind as { bind: unknown }).bind : (bind ?? null);
  }
  /** The reference creates every model's table before a scenario runs. */
  create_all(..._args: unknown[]): void {}
  drop_all(..._args: unknown[]): void {
    throw new UnsupportedInReference('MetaData.drop_all()');
  }
  reflect(..._args: unknown[]): void {
    throw new UnsupportedInReference('MetaData.reflect() (table reflection)');
  }
}

/** `Table(name, metadata, ...)`: known by name; statements built on it are not run by the reference. */
export class Table {
  constructor(
    readonly name: string,
    metadata?: MetaData,
    ..._args: unknown[]
  ) {
    if (metadata instanceof MetaData) metadata.tables[name] = this;
  }
  private unsupported(what: string): never {
    throw new UnsupportedInReference(`Table(${JSON.stringify(this.name)}).${what} (Core statements on a Table)`);
  }
  get c(): never {
    return this.unsupported('c');
  }
  get columns(): never {
    return this.unsupported('columns');
  }
  select(): never {
    return this.unsupported('select()');
  }
  insert(): never {
    return this.unsupported('insert()');
  }
  update(): never {
    return this.unsupported('update()');
  }
  delete(): never {
    return this.unsupported('delete()');
  }
}

/**
 * A column type built on another (`static impl = Text`): stored as its `impl`, values converted
 * by process_bind_param on the way in and process_result_value on the way out (the reference
 * applies them to the rows it writes and reads, not to values compared in a filter).
 */
export class TypeDecorator {
  static impl: { kind?: ColumnType; __visit_name__?: string } | undefined;
  static get kind(): ColumnType | undefined {
    return this.impl?.kind;
  }
  static get __visit_name__(): string {
    return this.impl?.__visit_name__ ?? 'type_decorator';
  }
  get __visit_name__(): string {
    return (this.constructor as typeof TypeDecorator).__visit_name__;
  }
  process_bind_param(value: unknown, _dialect: unknown): unknown {
    return value;
  }
  process_result_value(value: unknown, _dialect: unknown): unknown {
    return value;
  }
}

/** The converter of a column whose type is a TypeDecorator subclass (`Column(JSONEncodedDict)`). */
export function decoratorOf(type: unknown): TypeDecorator | undefined {
  return typeof type === 'function' && type.prototype instanceof TypeDecorator ? new (type as new () => TypeDecorator)() : undefined;
}
