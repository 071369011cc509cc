// The `sqlalchemy/ext/declarative` module: `declarative_base()` answers BASE, written
// `class M extends BASE(Mixin)` for Python's `class M(BASE, Mixin)`. Mapping itself happens when
// the reference opens (reference.ts maps every model class, as declarative does at class
// creation), so BASE only adds the shared MetaData.
import { MetaData } from './tables.js';

type Constructor = abstract new (...args: any[]) => object;

export function declarative_base(_options?: Record<string, unknown>) {
  const metadata = new MetaData();
  const base = <B extends Constructor>(mixin: B) => {
    abstract class Declarative extends mixin {
      static metadata = metadata;
    }
    return Declarative;
  };
  return Object.assign(base, { metadata });
}
