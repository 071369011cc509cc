// `port-db equiv --init`: a skeleton scenario for each function the port changed that no scenario
// file names yet, written beside the others (db/equiv/<function>.equiv.ts). A skeleton is marked
// `todo` (reported skipped) until a person fills in its arguments; existing files are never touched.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface InitModule {
  /** The module's db folder (holding sqlalchemy/, discovery/, equiv/). */
  db: string;
  /** Functions the port changed, with the rewrites that changed them (create-lock, row-lock, ...). */
  changed: Array<{ name: string; kinds: string[] }>;
}

export function writeSkeletons(modules: InitModule[], cwd: string): string[] {
  const written: string[] = [];
  for (const m of modules) {
    const dir = join(m.db, 'equiv');
    const named = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.equiv.ts')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n') : '';
    for (const fn of m.changed) {
      const file = join(dir, `${fn.name}.equiv.ts`);
      if (existsSync(file) || new RegExp(`\\bapi\\.${fn.name.replace(/\./g, '\\.')}\\b|new api\\.${fn.name.split('.')[0]}\\b`).test(named)) continue;
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, skeleton(fn.name, fn.kinds));
      renameSync(tmp, file);
      written.push(relative(cwd, file).split('\\').join('/'));
    }
  }
  return written;
}

function skeleton(name: string, kinds: string[]): string {
  const call = name.includes('.') ? `new api.${name.split('.')[0]}().${name.split('.')[1]}` : `api.${name}`;
  const twice = kinds.includes('create-lock') || kinds.includes('row-lock');
  return `// Written by \`port-db equiv --init\`: fill in the seed and the arguments, then remove \`todo\`.
import { scenario } from 'port-db/equiv';

export default scenario('${name}: TODO describe what this checks', {
  todo: 'fill in the seed and the arguments of ${name}',
  seed: {
    // table: [{ column: value }],
  },
  async run({ api }) {
    await ${call}(/* TODO arguments */);${twice ? `\n    // ${kinds.includes('create-lock') ? 'the same create again: the unique key must refuse it' : 'the same row again'}\n    await ${call}(/* TODO the same arguments */).catch(() => undefined);` : ''}
  },
});
`;
}
