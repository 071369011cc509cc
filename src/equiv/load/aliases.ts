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
  'oslo.db/sqlalchemy/models': equivModule('sql/runtime/oslo-models.js'),
  'oslo.db/exception': equivModule('sql/runtime/oslo-exception.js'),
};

/**
 * A port keeps SQL imports for its manual code: on the ROME side they load the reference's
 * modules, whose constructs raise "unsupported" when used (no reference database is open there),
 * so a scenario that reaches manual code is skipped instead of failing to load.
 */
export function aliasesFor(side: 'sql' | 'rome'): Record<string, string> {
  const scenario = { 'port-db/equiv': equivModule('scenario.js') };
  return side === 'sql' ? { ...SQL_MODULES, ...scenario } : { ...SQL_MODULES, 'rome-orm': equivModule('rome-memory/index.js'), ...scenario };
}
