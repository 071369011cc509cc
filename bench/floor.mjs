#!/usr/bin/env node
// The floor of the benchmark: TypeScript's own createSourceFile + printer over the same files,
// in a fresh process (the compiler port-db parses with: the one ts-morph bundles).
//
//   node bench/floor.mjs <file.ts...>

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// required, not imported: both are CommonJS, and an ES import makes Node scan the bundle for ES
// syntax and lex its exports first (120-180 ms), a cost port-db does not pay either (src/ts.cjs)
const require = createRequire(import.meta.url);
let ts;
try {
  ({ ts } = require('@ts-morph/common'));
} catch {
  ts = require('typescript');
}

const printer = ts.createPrinter();
let chars = 0;
for (const file of process.argv.slice(2)) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  chars += printer.printFile(sf).length;
}
process.stdout.write(`${chars}\n`);
