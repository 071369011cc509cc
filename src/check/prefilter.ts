import { sqlModuleTriggers } from '../analyzer/specifiers.js';
import type { ScanConfig } from '../analyzer/check-types.js';

// Whitespace as it may appear in source text, escapes included (`'DELETE\nFROM x'`).
const WS = String.raw`(?:\s|\\[nrt])+`;
const ANY = String.raw`(?:\S+${WS})`;
// A word start, also right after an escape (`'...\nSELECT'`).
const B = String.raw`(?:\b|(?<=\\[nrt]))`;

/**
 * Openings the SQL classifier needs, searched in the raw source text. Every statement
 * `classifySql` accepts starts with one of these, so a file none of them matches cannot hold
 * raw SQL (test/check/prefilter.test.ts keeps the two in step).
 */
const SQL_OPENINGS = new RegExp(
  [
    String.raw`${B}select\b`,
    String.raw`${B}(?:insert|replace)${WS}${ANY}{0,5}?into\b`,
    String.raw`${B}update${WS}${ANY}{1,6}?set\b`,
    String.raw`${B}delete${WS}${ANY}{0,4}?from\b`,
    String.raw`${B}(?:create|alter|drop)${WS}${ANY}{0,6}?(?:table|index|view|sequence|schema|database|trigger)\b`,
    String.raw`${B}truncate\b`,
    String.raw`${B}with${WS}[^]{0,400}?${B}as${WS}?(?:not${WS})?(?:materialized${WS})?\(`,
  ].join('|'),
  'i',
);

/**
 * Builds the cheap text test that decides whether a file is parsed at all: it must mention an SQL
 * module, a session, engine or row-lock name, a port-db comment, or an SQL statement opening.
 */
export function buildPrefilter(config: ScanConfig): (text: string) => boolean {
  const moduleTriggers = sqlModuleTriggers(config.sqlModules);
  if (moduleTriggers.length < config.sqlModules.length) return () => true;
  const words = [
    ...moduleTriggers,
    'db/sqlalchemy',
    'port-db',
    ...config.sessionFactories,
    ...config.engineFactories,
    ...config.rowLocks,
    // what the target lacks, as called (`.limit(`) or read (`.__mapper__`), and the SQL-only uses of its own members
    ...config.targetLacks.map((n) => (n.startsWith('__') ? n : `.${n}(`)),
    '.in_(',
    '.notin_(',
    '.session',
    '.property.columns',
  ];
  return (text) => words.some((w) => text.includes(w)) || SQL_OPENINGS.test(text);
}
