// How one fuzz input ends, the way the CLI would exit: 0 or 1 done, 2 bad input, 3 a bug (any
// error that is not a PortDbError). Shared by the fuzz workers (on dist/) and the quick fuzz
// test (on src/): `tool` is { port, exitCodeFor, hasConflicts }.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseError } from './mutate.mjs';

/** The first frame of a stack inside port-db's own code: where a crash is, for grouping. */
const frameOf = (stack) =>
  (stack ?? '')
    .split('\n')
    .find((l) => /\/(dist|src)\//.test(l) && !l.includes('node_modules'))
    ?.trim()
    .replace(/^at /, '')
    .replace(/\(.*\/(dist|src)\//, '(')
    .replace(/\.(js|ts):\d+:\d+\)$/, ')') ?? '';

/** One signature per bug: the numbers and quoted text in a message vary from input to input. */
export const signatureOf = (e) => {
  const message = e instanceof Error ? `${e.name}: ${String(e.message).split('\n')[0]}` : `thrown ${String(e)}`;
  // quoted text keeps its start: enough to tell an inserted import from a deletion ("")
  const shape = message
    .replace(/"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'/g, (_, a, b) => `"${(a ?? b).slice(0, 12)}${(a ?? b).length > 12 ? '…' : ''}"`)
    .replace(/\d+/g, 'N')
    .slice(0, 160);
  return `${shape} @ ${frameOf(e?.stack)}`;
};

/** The upstream change of a rerun: a function the port copies unchanged. */
const UPSTREAM = 'export function port_db_fuzz_upstream(): number {\n  return 1;\n}\n\n';

/**
 * Ports `bytes` as `<root>/svc/db/sqlalchemy/api.ts` (beside `models`). With `rerun`, also ports
 * again over its own outputs (must change nothing), after a hand edit (must keep it), and after
 * an upstream change on top of the hand edit (the three-way merge: must be clean, keep both).
 * Returns { code, problem?, merged?, stack?, signature?, message? } (merged: the merge ran, clean).
 */
export function classify(tool, root, bytes, models, rerun, verify = false) {
  const sql = join(root, 'svc', 'db', 'sqlalchemy');
  const out = join(root, 'svc', 'db', 'discovery');
  mkdirSync(sql, { recursive: true });
  rmSync(out, { recursive: true, force: true });
  writeFileSync(join(sql, 'api.ts'), bytes);
  writeFileSync(join(sql, 'models.ts'), models);
  const run = () => tool.port({ roots: [root], verify, cwd: root });
  try {
    const first = run();
    let problem;
    let mergedClean = false;
    const api = first.modules[0].files[0];
    const bad = parseError(api.content);
    if (bad) problem = { kind: 'bad-output', signature: `output does not parse: ${bad}` };
    // the type check never throws: a failure inside it shows as a check that did not run
    const failed = [first.modules[0].report.verify, first.modules[0].report.models?.verify].find((v) => v && !v.checked && /^the type check failed/.test(v.reason ?? ''));
    if (!problem && failed) problem = { kind: 'verify-failed', signature: `verify: ${failed.reason.replace(/\d+/g, 'N').slice(0, 120)}` };
    if (!problem && rerun) {
      const before = first.modules[0].files.map((f) => f.content);
      const again = run();
      const after = again.modules[0].files.map((f) => readFileSync(f.path, 'utf8'));
      if (again.modules[0].merge.status !== 'unchanged' || after.join('\0') !== before.join('\0')) {
        problem = { kind: 'not-idempotent', signature: `second run: ${again.modules[0].merge.status}` };
      } else {
        writeFileSync(api.path, api.content + '\n// a hand edit\n');
        const edited = run();
        if (edited.modules[0].merge.status !== 'kept' || !readFileSync(api.path, 'utf8').endsWith('// a hand edit\n')) {
          problem = { kind: 'hand-edit-lost', signature: `after a hand edit: ${edited.modules[0].merge.status}` };
        } else if (api.content.length > 0) {
          // and an upstream change (a function added at the top of the SQL module): the three-way
          // merge of the hand edit (at the end) with the new port must be clean and keep both
          writeFileSync(join(sql, 'api.ts'), Buffer.concat([Buffer.from(UPSTREAM), bytes]));
          const merged = run();
          const text = readFileSync(api.path, 'utf8');
          if (merged.modules[0].merge.status !== 'merged' || !text.endsWith('// a hand edit\n') || !text.includes('port_db_fuzz_upstream')) {
            problem = { kind: 'hand-edit-lost', signature: `after a hand edit and an upstream change: ${merged.modules[0].merge.status}` };
          } else mergedClean = true;
        }
      }
    }
    return { code: tool.hasConflicts(first.modules.map((m) => m.merge)) ? 1 : 0, problem, ...(mergedClean ? { merged: true } : {}) };
  } catch (e) {
    const code = tool.exitCodeFor(e);
    if (code !== 3) return { code, message: String(e?.message).split('\n')[0] };
    return { code, stack: e?.stack ?? String(e), signature: signatureOf(e) };
  }
}
