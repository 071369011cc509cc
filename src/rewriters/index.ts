import { createLockRewriter } from './create-lock.js';
import { importRewriter } from './import.js';
import { loaderOptionRewriter } from './loader-option.js';
import { manualRewriter } from './manual.js';
import { modelsRewriter } from './models.js';
import { queryRewriter } from './query.js';
import { rowLockRewriter } from './row-lock.js';
import { sessionAddRewriter } from './session-add.js';
import { sessionRewriter } from './session.js';
import { transactionRewriter } from './transaction.js';
import type { Rewriter } from './types.js';

/**
 * The registry, in the order the pipeline runs them: later rewriters read what earlier ones
 * decided (deleted ranges, manual statements, needed helpers); import runs last.
 */
export const REWRITERS: Rewriter[] = [
  loaderOptionRewriter,
  queryRewriter,
  createLockRewriter,
  rowLockRewriter,
  transactionRewriter,
  sessionRewriter,
  sessionAddRewriter,
  manualRewriter,
  importRewriter,
];

/** The pipeline of the models module (db/sqlalchemy/models.ts → db/discovery/models.ts). */
// the session rewriter too: a model method that opens a session (Glance's save()) gets the same helper
export const MODELS_REWRITERS: Rewriter[] = [modelsRewriter, sessionRewriter, manualRewriter, importRewriter];

/** Every change kind, once, in pipeline order: what `port-db rules` and docs/RULES.md list. */
export const ALL_REWRITERS: Rewriter[] = [...new Set([...REWRITERS.slice(0, -2), modelsRewriter, ...REWRITERS.slice(-2)])];
