/**
 * Errors the library throws. Only the CLI turns them into output and exit codes
 * (STYLE.md: the library never prints or exits).
 */
export class PortDbError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number;
  /** What the user can do about it. */
  readonly hint?: string;

  constructor(message: string, exitCode: number, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** Bad command-line use: exit 2. */
export class UsageError extends PortDbError {
  constructor(message: string, hint?: string) {
    super(message, 2, hint);
  }
}

/** A rule pack or config file that cannot be used: exit 2. */
export class ConfigError extends PortDbError {
  constructor(message: string, hint?: string) {
    super(message, 2, hint);
  }
}

/** Input source that cannot be ported (syntax error, unreadable, not UTF-8): exit 2. */
export class SourceError extends PortDbError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly frame?: string;

  constructor(file: string, line: number, column: number, message: string, hint?: string, frame?: string) {
    super(`${file}:${line}:${column}: ${message}`, 2, hint);
    this.file = file;
    this.line = line;
    this.column = column;
    this.frame = frame;
  }
}

/** Outputs port-db will not write: paths that leave the root, links, non-files, unreadable or non-UTF-8 previous outputs: exit 2. */
export class OutputError extends PortDbError {
  constructor(message: string, hint?: string) {
    super(message, 2, hint);
  }
}

/**
 * Whether an error is one port-db raised on purpose (bad input, exit 1 or 2). Anything else is a
 * bug (exit 3). Errors that crossed a realm (a worker thread, a second copy of this module) lose
 * their class: they count when they carry the fields PortDbError sets.
 */
function isPortDbError(e: unknown): e is PortDbError {
  if (e instanceof PortDbError) return true;
  if (!(e instanceof Error)) return false;
  const code = (e as { exitCode?: unknown }).exitCode;
  return (code === 1 || code === 2) && Object.prototype.hasOwnProperty.call(e, 'hint') && Object.prototype.hasOwnProperty.call(e, 'exitCode');
}

/** The exit code for an error: the one a PortDbError carries, 3 (a bug in port-db) for anything else. */
export function exitCodeFor(e: unknown): number {
  return isPortDbError(e) ? e.exitCode : 3;
}

/** Renders a few lines of source around a position, with a caret under the column. */
export function codeFrame(text: string, line: number, column: number, context = 2): string {
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const mark = n === line ? '>' : ' ';
    out.push(`${mark} ${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  }
  return out.join('\n');
}
