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

/** Outputs that would destroy work (hand-edited files, unsafe paths): exit 2. */
export class OutputError extends PortDbError {
  constructor(message: string, hint?: string) {
    super(message, 2, hint);
  }
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
