/**
 * What the terminal gets: colour and progress, decided from the environment and the stream, so
 * the rules can be tested without a terminal.
 */

/** The environment variables read here. */
export type TerminalEnv = Record<string, string | undefined>;

/**
 * Whether output to a stream is coloured, by chalk's convention: `FORCE_COLOR=0` (or `false`)
 * turns colour off, `FORCE_COLOR=1`/`2`/`3`/`true` turns it on, else `NO_COLOR` (any value but
 * empty) turns it off, else colour on a terminal only. An empty `FORCE_COLOR` counts as unset.
 */
export function isColorEnabled(env: TerminalEnv, isTTY: boolean | undefined): boolean {
  const force = env.FORCE_COLOR;
  if (force === '0' || force === 'false') return false;
  if (force !== undefined && force !== '') return true;
  if (env.NO_COLOR) return false;
  return isTTY === true;
}

/** Whether progress lines go to a stream: a terminal, and not CI (`CI` set to anything but empty or `false`). */
export function isProgressEnabled(env: TerminalEnv, isTTY: boolean | undefined): boolean {
  const ci = env.CI;
  return isTTY === true && (ci === undefined || ci === '' || ci === 'false' || ci === '0');
}

/** Reports what a long run is doing: one call per module (or per scenario). */
export type Progress = (message: string) => void;

/**
 * A progress reporter on `stream` (stderr): each message replaces the last on one line, and
 * `done()` clears it, so the output that follows is as it would be without progress. When
 * progress is off (not a terminal, or CI), it does nothing.
 */
export function progressOn(stream: { isTTY?: boolean; columns?: number; write(text: string): unknown }, env: TerminalEnv): { report: Progress; done(): void } {
  if (!isProgressEnabled(env, stream.isTTY)) return { report: () => {}, done: () => {} };
  let shown = false;
  return {
    report: (message) => {
      const width = Math.max(20, (stream.columns ?? 80) - 1);
      const line = message.length > width ? `${message.slice(0, width - 1)}…` : message;
      stream.write(`\r\x1b[2K${line}`);
      shown = true;
    },
    done: () => {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
