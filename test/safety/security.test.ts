import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';
import { outcome, tree } from './helpers.js';
import { scratchDir } from '../scratch.js';

const sources = readdirSync(join(ROOT, 'src'), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: `src/${f}`, text: readFileSync(join(ROOT, 'src', f), 'utf8') }));

describe('security', () => {
  it('port-db has no network access and runs no code it reads: no such module or call in src/', () => {
    const forbidden = [
      /from ['"](node:)?(child_process|vm|net|http|https|http2|dgram|dns|tls|inspector)['"]/,
      /require\(['"](node:)?(child_process|vm|net|http|https|http2|dgram|dns|tls)['"]\)/,
      /\beval\s*\(/,
      /\bnew Function\s*\(/,
      /\bfetch\s*\(/,
      /\bimport\(\s*(?!['"])/, // a module named by data
    ];
    // three exceptions, each by design: equiv's loader imports the service's modules (it runs the
    // service's code, README), verify runs the native compiler's own binary (a dependency, never a
    // path from the input), without a shell, and `equiv --rome` forks its own scenario worker as
    // the nodes of a concurrent group
    const runsServiceCode = (file: string) => file.startsWith('src/equiv/load/');
    const allowed = (file: string, re: RegExp) =>
      (runsServiceCode(file) && String(re) === String(forbidden[5])) || (['src/verify/native.ts', 'src/equiv/load/nodes.ts'].includes(file) && String(re).includes('child_process'));
    const found = sources.flatMap(({ file, text }) => forbidden.filter((re) => re.test(text) && !allowed(file, re)).map((re) => `${file}: ${re}`));
    expect(found).toEqual([]);
    // the one network client: the Redis store of the runtime a ported service imports
    // (port-db/rome-redis, README "Running a port on Redis"); the one command that loads it is
    // `equiv --rome URL` (run.ts checks the URL, rome-side.ts runs the port on it)
    expect(sources.filter(({ text }) => /from ['"]ioredis['"]/.test(text)).map((s) => s.file)).toEqual(['src/equiv/rome-memory/redis-store.ts']);
    expect(sources.filter(({ text }) => /from ['"]\.\/(redis-store|redis)\.js['"]/.test(text)).map((s) => s.file)).toEqual(['src/equiv/rome-memory/redis.ts']);
    expect(sources.filter(({ text }) => /redis-store\.js['"]\)/.test(text)).map((s) => s.file).sort()).toEqual(['src/equiv/load/rome-side.ts', 'src/equiv/run.ts']);
    // the nodes run port-db's own scenario worker, never a path from the input, without a shell
    const nodes = sources.find((s) => s.file === 'src/equiv/load/nodes.ts')!.text;
    expect([...nodes.matchAll(/\bfork\((.+?\)\)), /g)].map((m) => m[1])).toEqual(["fileURLToPath(new URL('./scenario-worker.js', import.meta.url))"]);
    expect(nodes).not.toMatch(/shell:|\bexec(File)?(Sync)?\(|\bspawn(Sync)?\(/);
    const native = sources.find((s) => s.file === 'src/verify/native.ts')!.text;
    expect(native).toMatch(/import \{ execFileSync \} from 'node:child_process';/);
    expect([...native.matchAll(/execFileSync\((\w+\(\))/g)].map((m) => m[1])).toEqual(['nativeTsc()']);
    // the helper thread that waits for tsc runs the file it is sent, and is only sent nativeTsc()
    expect([...native.matchAll(/viaThread\((\w+\(\))/g)].map((m) => m[1])).toEqual(['nativeTsc()']);
    expect([...native.matchAll(/postMessage\(\{ (\w+)/g)].map((m) => m[1])).toEqual(['file']);
    expect([...native.matchAll(/spawnSync\(([^)]*)\)/g)].map((m) => m[1])).toEqual(['file, args, options']);
    expect(native).not.toMatch(/shell:/);
  });

  it('a rule pack is data: code in it is never run, and it cannot reach the prototypes', () => {
    const dir = scratchDir('port-db-pack-');
    const marker = join(dir, 'pwned');
    const payload = `x'); require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); ('`;
    const pack = join(dir, 'evil.rules.json');
    writeFileSync(
      pack,
      `{"extends": "default", "name": "evil", "__proto__": {"polluted": true}, "sessionFactories": [${JSON.stringify(payload)}], "queryHelpers": ["\${process.exit(9)}"], "description": "\`\${require('fs').writeFileSync(${JSON.stringify(JSON.stringify(marker)).slice(1, -1)}, 'x')}\`"}`,
    );
    const root = tree({ 'db/sqlalchemy/api.ts': `import { get_session } from './session';\nexport function f() { return get_session(); }\n` });
    const r = outcome([root], { rules: pack, dryRun: true });
    expect([0, 2]).toContain(r.code);
    expect(existsSync(marker)).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });
});
