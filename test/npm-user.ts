import { spawnSync } from 'node:child_process';

// Commands run as a service team types them in a project of its own (test/pack.test.ts,
// test/rome-orm-pack.test.ts).

/** The environment of a command the user types: none of the npm_* variables `npm test` sets (npm_config_local_prefix would point npm back at this repository). */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1', FORCE_COLOR: '' };
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && !(k in env)) env[k] = v;
  // the npm cache `npm ci` filled (the default one unless the run was given another)
  const cache = process.env.npm_config_cache;
  if (cache) env.npm_config_cache = cache;
  return env;
}

export function run(cmd: string, args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: userEnv(), timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
