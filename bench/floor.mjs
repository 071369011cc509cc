#!/usr/bin/env node
// The floor of the benchmark: TypeScript's own createSourceFile + printer over the same files,
// in a fresh process (the compiler port-db parses with: the one ts-morph bundles).
//
//   node bench/floor.mjs <file.ts...>

import { readFileSync } from 'node:fs';

let ts;
try {
  ({ ts } = await import('@ts-morph/common'));
} catch {
  ts = (await import('typescript')).default;
}

const printer = ts.createPrinter();
let chars = 0;
for (const file of process.argv.slice(2)) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  chars += printer.printFile(sf).length;
}
process.stdout.write(`${chars}\n`);
