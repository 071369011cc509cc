// One side of a scenario in a worker of its own (a fresh module graph: the service's modules,
// their state and the runtime's store are this run's alone). The SQL side runs db/sqlalchemy/api.ts
// on the reference (sql.js); the ROME side runs db/discovery/api.ts on the in-memory ROME.
import { register } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { SideRequest, SideResult } from './run.js';
import { callError } from '../outcome.js';
import { aliasesFor, equivModule } from './aliases.js';
import { RomeSide } from './rome-side.js';
import { SqlSide } from './sql-side.js';

async function main(request: SideRequest): Promise<SideResult> {
  register(equivModule('load/hooks.js'), import.meta.url, { data: { aliases: aliasesFor(request.side) } });
  // the sides open their database or store as the scenario worker's do (sql-side.ts, rome-side.ts)
  const models = join(dirname(request.module), 'models.ts');
  const side = request.side === 'sql' ? new SqlSide(false) : new RomeSide();
  await side.open(models, (await import(pathToFileURL(models).href)) as Record<string, unknown>);
  const api = await import(pathToFileURL(request.module).href);
  const script = (await import(pathToFileURL(request.script).href)) as { default: (api: unknown) => unknown };
  try {
    return { ok: await script.default(api) };
  } catch (e) {
    const { name, message } = callError(e);
    return { error: { name, message } };
  }
}

main(workerData as SideRequest).then(
  (result) => parentPort!.postMessage(result),
  (e: unknown) => parentPort!.postMessage({ crashed: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }),
);
