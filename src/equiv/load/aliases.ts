// What the service's bare imports are on each side of a scenario: its SQL imports resolve to the
// reference's runtime, `rome-orm` to the in-memory ROME, `port-db/equiv` to the scenario API.
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const here = dirname(new URL(import.meta.url).pathname);
/** The URL of a module of src/equiv (as built in dist/equiv). */
export const equivModule = (path: string) => pathToFileURL(join(here, '..', path)).href;

/** The dialect's SQL modules, as the reference implements them. */
export const SQL_MODULES: Record<string, string> = {
  sqlalchemy: equivModule('sql/runtime/sqlalchemy.js'),
  'sqlalchemy/orm': equivModule('sql/runtime/sqlalchemy-orm.js'),
  'sqlalchemy/orm/exc': equivModule('sql/runtime/sqlalchemy-orm-exc.js'),
  'sqlalchemy/sql': equivModule('sql/runtime/sqlalchemy-sql.js'),
  'sqlalchemy/sql/expression': equivModule('sql/runtime/sqlalchemy-sql-expression.js'),
  'sqlalchemy/schema': equivModule('sql/runtime/sqlalchemy-schema.js'),
  'sqlalchemy/ext/declarative': equivModule('sql/runtime/sqlalchemy-ext-declarative.js'),
  'oslo.db/sqlalchemy/models': equivModule('sql/runtime/oslo-models.js'),
  'oslo.db/sqlalchemy/session': equivModule('sql/runtime/oslo-session.js'),
  'oslo.db/sqlalchemy/utils': equivModule('sql/runtime/oslo-utils.js'),
  'oslo.db/sqlalchemy/orm': equivModule('sql/runtime/oslo-orm.js'),
  'oslo.db/exception': equivModule('sql/runtime/oslo-exception.js'),
  'oslo.db/options': equivModule('sql/runtime/oslo-options.js'),
  'oslo.db/api': equivModule('sql/runtime/oslo-api.js'),
};

/**
 * A port keeps SQL imports for its manual code: on the ROME side they load the reference's
 * modules, whose constructs raise "unsupported" when used (no reference database is open there),
 * so a scenario that reaches manual code is skipped instead of failing to load.
 */
export function aliasesFor(side: 'sql' | 'rome'): Record<string, string> {
  const scenario = { 'port-db/equiv': equivModule('scenario.js') };
  return side === 'sql' ? { ...SQL_MODULES, ...scenario } : { ...SQL_MODULES, 'rome-orm': equivModule('rome-memory/equiv.js'), ...scenario };
}
