// Mutations of a TypeScript module for fuzzing port-db (used by bench/fuzz.mjs and test/safety).
// Deterministic: the same (text, seed) always gives the same mutant.
import { ts } from 'ts-morph';

/** A small seeded PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
}

/** A seed for case `i` of a run seeded with `seed`. */
export const caseSeed = (seed, i) => (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0;

/** The tokens of a text, with their offsets (comments and whitespace are not tokens). */
export function tokens(text) {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  const out = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    out.push({ kind, start: scanner.getTokenStart(), end: scanner.getTokenEnd() });
    if (out.length > 200000) break;
  }
  return out;
}

/** Source-dialect fragments a mutation may insert: they steer mutants into the rewriters' paths. */
export const DIALECT = [
  'session', 'get_session()', 'model_query(context, models.Service)', '.filter_by({ id })', '.first()', '.all()', '.one()',
  '.limit(1)', '.offset(2)', '.exists()', '.with_lockmode(\'update\')', '.with_for_update()', '.soft_delete()', '.delete()',
  'session.begin(async () => {', '})', '{ subtransactions: true }', '.options(joinedload(\'x\'))', 'ref.update(values)',
  'await ref.save(session)', 'new models.Service()', 'session.add(ref)', 'text(\'SELECT 1\')', 'await', 'async', 'return',
  'export', 'function', '=>', '(', ')', '{', '}', '[', ']', ';', ',', '.', '?', ':', '=', '...', '`${x}`', 'this', 'class C {',
  '// port-db: manual', '/*', '*/', '"', "'", '`', '\n', 'let', 'const', 'if (x)', 'for (const r of rows)', 'yield', 'import',
];

const MUTATORS = ['deleteToken', 'duplicateToken', 'swapTokens', 'swapAdjacent', 'replaceToken', 'insertDialect', 'deleteLine', 'duplicateLine', 'deleteRange'];
const RARE = ['truncate', 'insertNul', 'insertBadUtf8', 'crlf', 'bom'];

/**
 * Applies 1-4 random mutations (deleted, duplicated, swapped, replaced tokens; lines; a few byte-level
 * ones). Returns the mutant as a Buffer (it may not be UTF-8) and the names of the mutations.
 */
export function mutate(text, seed) {
  const r = rng(seed);
  const applied = [];
  let cur = text;
  let bytes;
  const n = 1 + r.int(4);
  for (let k = 0; k < n; k++) {
    const name = r.next() < 0.04 ? r.pick(RARE) : r.pick(MUTATORS);
    applied.push(name);
    const toks = tokens(cur);
    if (toks.length === 0 && !RARE.includes(name)) continue;
    const t = toks.length ? r.pick(toks) : undefined;
    const u = toks.length ? r.pick(toks) : undefined;
    const tokText = (x) => cur.slice(x.start, x.end);
    switch (name) {
      case 'deleteToken':
        cur = cur.slice(0, t.start) + cur.slice(t.end);
        break;
      case 'duplicateToken':
        cur = cur.slice(0, t.end) + ' ' + tokText(t) + cur.slice(t.end);
        break;
      case 'swapTokens':
      case 'swapAdjacent': {
        let a = t;
        let b = u;
        if (name === 'swapAdjacent') {
          const i = toks.indexOf(t);
          if (i + 1 >= toks.length) break;
          b = toks[i + 1];
        }
        if (a.start > b.start) [a, b] = [b, a];
        if (a === b || a.end > b.start) break;
        cur = cur.slice(0, a.start) + tokText(b) + cur.slice(a.end, b.start) + tokText(a) + cur.slice(b.end);
        break;
      }
      case 'replaceToken': {
        // same kind when possible (an identifier by another identifier): mutants that still parse
        const same = toks.filter((x) => x.kind === t.kind);
        const by = r.next() < 0.7 && same.length ? r.pick(same) : u;
        cur = cur.slice(0, t.start) + tokText(by) + cur.slice(t.end);
        break;
      }
      case 'insertDialect':
        cur = cur.slice(0, t.end) + ' ' + r.pick(DIALECT) + cur.slice(t.end);
        break;
      case 'deleteLine':
      case 'duplicateLine': {
        const lines = cur.split('\n');
        const i = r.int(lines.length);
        if (name === 'deleteLine') lines.splice(i, 1);
        else lines.splice(i, 0, lines[i]);
        cur = lines.join('\n');
        break;
      }
      case 'deleteRange': {
        const [a, b] = [t, u].sort((x, y) => x.start - y.start);
        if (b.end - a.start < 2000) cur = cur.slice(0, a.start) + cur.slice(b.end);
        break;
      }
      case 'truncate':
        cur = cur.slice(0, r.int(cur.length + 1));
        break;
      case 'crlf':
        cur = cur.replace(/\r?\n/g, '\r\n');
        break;
      case 'bom':
        cur = '\uFEFF' + cur;
        break;
      case 'insertNul':
      case 'insertBadUtf8': {
        const buf = Buffer.from(cur, 'utf8');
        const at = r.int(buf.length + 1);
        const junk = name === 'insertNul' ? Buffer.from([0]) : Buffer.from([r.pick([0xff, 0xc0, 0xe2, 0x80, 0xed])]);
        bytes = Buffer.concat([buf.subarray(0, at), junk, buf.subarray(at)]);
        cur = bytes.toString('latin1'); // keep going on a text: later text mutations drop the bytes
        bytes = k === n - 1 ? bytes : undefined;
        break;
      }
    }
  }
  return { bytes: bytes ?? Buffer.from(cur, 'utf8'), mutations: applied };
}

/** Parse diagnostics of a text: the first message, or undefined when it parses. */
export function parseError(text) {
  const sf = ts.createSourceFile('api.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const d = sf.parseDiagnostics ?? [];
  return d.length ? ts.flattenDiagnosticMessageText(d[0].messageText, ' ') : undefined;
}

/**
 * The mutant of case `index` of a run seeded with `seed`, and whether the case also ports again
 * (`rerun`). Half the cases look for a mutant that still parses (up to 8 tries): those reach the
 * analyzer and the rewriters instead of stopping at the syntax check. With `large` (the runs on
 * the large seed: they are there for the merge at size) every case does, and takes the text
 * unmutated when no mutant parses; every such case ports again.
 */
export function fuzzCase(text, seed, index, rerunShare, large = false) {
  const s = caseSeed(seed, index);
  const r = rng(s);
  const rerun = r.next() < rerunShare || large;
  let m = mutate(text, s ^ 0x5bd1e995);
  const bad = () => m.bytes.includes(0) || parseError(m.bytes.toString('utf8')) !== undefined;
  if (r.next() < 0.5 || large) {
    for (let k = 1; k < 8 && bad(); k++) m = mutate(text, ((s ^ 0x5bd1e995) + k) >>> 0);
  }
  if (large && bad()) m = { bytes: Buffer.from(text, 'utf8'), mutations: [] };
  return { ...m, rerun };
}
