// One side of a scenario in a worker of its own (a fresh module graph: the service's modules,
// their state and the runtime's store are this run's alone). The SQL side runs db/sqlalchemy/api.ts
// on the reference (sql.js); the ROME side runs db/discovery/api.ts on the in-memory ROME.
import { register } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { SideRequest, SideResult } from './run.js';
import { aliasesFor, equivModule } from './aliases.js';

const at = equivModule;
const ALIASES: Record<SideRequest['side'], Record<string, string>> = { sql: aliasesFor('sql'), rome: aliasesFor('rome') };

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
