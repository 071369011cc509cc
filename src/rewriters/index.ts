import { createLockRewriter } from './create-lock.js';
import { importRewriter } from './import.js';
import { loaderOptionRewriter } from './loader-option.js';
import { manualRewriter } from './manual.js';
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
