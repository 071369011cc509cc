// One side of a scenario in a worker of its own (a fresh module graph: the service's modules,
// their state and the runtime's store are this run's alone). The SQL side runs db/sqlalchemy/api.ts
// on the reference (sql.js); the ROME side runs db/discovery/api.ts on the in-memory ROME.
import { register } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { SideRequest, SideResult } from './run.js';

const here = dirname(new URL(import.meta.url).pathname);
const at = (path: string) => pathToFileURL(join(here, '..', path)).href;

/** The dialect's SQL modules, as the reference implements them. */
const SQL: Record<string, string> = {
  sqlalchemy: at('sql/runtime/sqlalchemy.js'),
  'sqlalchemy/orm': at('sql/runtime/sqlalchemy-orm.js'),
  'sqlalchemy/orm/exc': at('sql/runtime/sqlalchemy-orm-exc.js'),
  'sqlalchemy/sql': at('sql/runtime/sqlalchemy-sql.js'),
  'sqlalchemy/sql/expression': at('sql/runtime/sqlalchemy-sql-expression.js'),
  'sqlalchemy/schema': at('sql/runtime/sqlalchemy-schema.js'),
  'sqlalchemy/ext/declarative': at('sql/runtime/sqlalchemy-ext-declarative.js'),
  'oslo.db/sqlalchemy/models': at('sql/runtime/oslo-models.js'),
  'oslo.db/sqlalchemy/session': at('sql/runtime/oslo-session.js'),
  'oslo.db/sqlalchemy/utils': at('sql/runtime/oslo-utils.js'),
  'oslo.db/sqlalchemy/orm': at('sql/runtime/oslo-orm.js'),
  'oslo.db/exception': at('sql/runtime/oslo-exception.js'),
  'oslo.db/options': at('sql/runtime/oslo-options.js'),
  'oslo.db/api': at('sql/runtime/oslo-api.js'),
};

/**
 * What the service's SQL and ROME imports are on each side. A port keeps SQL imports for its
 * manual code: they load the reference's modules, whose constructs raise "unsupported" when
 * used (no reference database is open on the ROME side), so a scenario that reaches manual code
 * says so instead of failing to load.
 */
const ALIASES: Record<SideRequest['side'], Record<string, string>> = {
  sql: SQL,
  rome: { ...SQL, 'rome-orm': at('rome-memory/index.js') },
};

async function prepareSql(models: string): Promise<void> {
  const { openReference } = await import('../sql/reference.js');
  await openReference(models, (await import(pathToFileURL(models).href)) as Record<string, unknown>);
}

async function prepareRome(): Promise<void> {
  const rome = (await import(ALIASES.rome['rome-orm'])) as { createMemoryStore(): unknown; useStore(s: unknown): void };
  rome.useStore(rome.createMemoryStore());
}

async function main(request: SideRequest): Promise<SideResult> {
  register(at('load/hooks.js'), import.meta.url, { data: { aliases: ALIASES[request.side] } });
  if (request.side === 'sql') await prepareSql(join(dirname(request.module), 'models.ts'));
  else await prepareRome();
  const api = await import(pathToFileURL(request.module).href);
  const script = (await import(pathToFileURL(request.script).href)) as { default: (api: unknown) => unknown };
  try {
    return { ok: await script.default(api) };
  } catch (e) {
    return { error: { name: e instanceof Error ? e.constructor.name : typeof e, message: e instanceof Error ? e.message : String(e) } };
  }
}

main(workerData as SideRequest).then(
  (result) => parentPort!.postMessage(result),
  (e: unknown) => parentPort!.postMessage({ crashed: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }),
);
