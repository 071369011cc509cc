// How ROME's join(M) finds its joining criteria (lib/rome/core/orm/query.py:303-329): among the
// relationships of the selected classes (M included), the first between M's table and another
// selected table gives its primaryjoin, each conjunct a criterion — `A.x == B.y` joins,
// `A.deleted == 0` filters. Without a primaryjoin, SQLAlchemy's default: the foreign key
// between the two tables (the `foreign_keys` column when named).
import { expression, type Criterion } from './expression.js';
import { classNameOf, findClass, mappingOf, type ColumnAttribute, type EntityClass, type RelationshipAttribute } from './mapping.js';
import { UnsupportedInRomeMemory } from './errors.js';

export function joinCriteria(joined: EntityClass, selected: readonly EntityClass[]): Criterion[] {
  const table = mappingOf(joined).table;
  const selectedTables = new Set(selected.map((cls) => mappingOf(cls).table));
  for (const cls of selected) {
    for (const relation of mappingOf(cls).relationships) {
      const remote = targetOf(relation);
      if (!remote) continue;
      const tables = [mappingOf(cls).table, mappingOf(remote).table];
      if (!tables.includes(table)) continue;
      const other = tables.find((t) => t !== table);
      if (other === undefined || !selectedTables.has(other)) continue;
      if (relation.options.secondary) throw new UnsupportedInRomeMemory(`join through the secondary table of ${classNameOf(cls)}.${relation.key}`);
      return typeof relation.options.primaryjoin === 'string' ? parsePrimaryJoin(relation.options.primaryjoin) : foreignKeyCriteria(cls, remote, relation);
    }
  }
  return [];
}

function targetOf(relation: RelationshipAttribute): EntityClass | null {
  return typeof relation.target === 'string' ? findClass(relation.target) : relation.target;
}

/** `and_(A.x == B.y, A.deleted == 0)` or `A.x == B.y`: one criterion per conjunct. */
function parsePrimaryJoin(text: string): Criterion[] {
  const inner = /^\s*and_\((.*)\)\s*$/s.exec(text)?.[1] ?? text;
  return inner.split(',').map((part) => {
    const m = /^\s*(\w+)\.(\w+)\s*==\s*(.+?)\s*$/.exec(part);
    if (!m) throw new UnsupportedInRomeMemory(`primaryjoin ${text}`);
    const left = columnOf(m[1], m[2]);
    const right = /^(\w+)\.(\w+)$/.exec(m[3]);
    return right ? left.eq(columnOf(right[1], right[2])) : left.eq(literal(m[3]));
  });
}

function foreignKeyCriteria(local: EntityClass, remote: EntityClass, relation: RelationshipAttribute): Criterion[] {
  const named = typeof relation.options.foreign_keys === 'string' ? relation.options.foreign_keys.split('.')[1] : undefined;
  for (const [from, to] of [
    [local, remote],
    [remote, local],
  ]) {
    for (const [key, column] of mappingOf(from).columns) {
      const fk = column.foreignKeys.find((f) => f.column.split('.')[0] === mappingOf(to).table);
      if (fk && (named === undefined || named === key)) return [expression({ kind: 'join', left: column, right: columnOf(classNameOf(to), fk.column.split('.')[1]) })];
    }
  }
  throw new UnsupportedInRomeMemory(`no foreign key between ${classNameOf(local)} and ${classNameOf(remote)}`);
}

function columnOf(className: string, key: string): ColumnAttribute {
  const cls = findClass(className);
  const column = cls && mappingOf(cls).columns.get(key);
  if (!column) throw new UnsupportedInRomeMemory(`${className}.${key} in a primaryjoin (is ${className} mapped?)`);
  return column;
}

function literal(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'True' || text === 'False') return text === 'True';
  if (text === 'None') return null;
  return text.replace(/^['"]|['"]$/g, '');
}
