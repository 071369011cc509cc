import { PortDbError } from '../errors.js';

/** A path `check` cannot use (missing, unreadable), or a bad baseline file: exit 2. */
export class CheckInputError extends PortDbError {
  constructor(message: string, hint?: string) {
    super(message, 2, hint);
  }
}
