import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { exitCodeFor, OutputError, PortDbError, SourceError, UsageError } from '../../src/errors.js';

// A bug anywhere below the CLI: the port throws what port-db never throws on purpose. There is no
// switch for this in port-db itself (nothing a user could set by accident): the module is replaced here.
const thrown: { value: unknown } = { value: undefined };
vi.mock('../../src/port/run.js', () => ({
  port: () => {
    throw thrown.value;
  },
}));

let stderr = '';
beforeEach(() => {
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('an internal error exits 3 with the stack and "please report", never 2', () => {
  it('a TypeError in the port', async () => {
    thrown.value = new TypeError("Cannot read properties of undefined (reading 'kind')");
    expect(await main(['port', 'anywhere'])).toBe(3);
    expect(stderr).toMatch(/^port-db: internal error: this is a bug in port-db, not a problem with your input; please report it/);
    expect(stderr).toMatch(/TypeError: Cannot read properties of undefined \(reading 'kind'\)\n\s+at /);
    expect(stderr).toMatch(/command: port-db port anywhere/);
  });

  it('a value that is not an Error', async () => {
    thrown.value = 'a string';
    expect(await main(['port', 'x'])).toBe(3);
    expect(stderr).toMatch(/thrown value: a string/);
    thrown.value = Object.create(null); // cannot even be turned into a string
    expect(await main(['port', 'x'])).toBe(3);
  });

  it('an error that merely has exitCode 2 is still a bug', async () => {
    thrown.value = Object.assign(new Error('spawn failed'), { exitCode: 2 });
    expect(await main(['port', 'x'])).toBe(3);
    expect(stderr).toMatch(/please report/);
  });

  it("port-db's own errors keep their codes, with the message, the frame and the hint", async () => {
    thrown.value = new SourceError('db/sqlalchemy/api.ts', 2, 3, 'syntax error: boom', 'fix it', '> 2 | x');
    expect(await main(['port', 'x'])).toBe(2);
    expect(stderr).toBe('port-db: error: db/sqlalchemy/api.ts:2:3: syntax error: boom\n> 2 | x\nhint: fix it\n');
    expect(stderr).not.toMatch(/please report/);
  });

  it('exitCodeFor: 2 for bad input, 3 for anything else', () => {
    expect(exitCodeFor(new UsageError('x'))).toBe(2);
    expect(exitCodeFor(new OutputError('x', 'y'))).toBe(2);
    expect(exitCodeFor(new PortDbError('x', 1))).toBe(1);
    expect(exitCodeFor(new RangeError('Maximum call stack size exceeded'))).toBe(3);
    expect(exitCodeFor(undefined)).toBe(3);
    // a PortDbError that crossed a realm (a worker thread) has lost its class, not its fields
    const copy = Object.assign(new Error('bad baseline'), { exitCode: 2, hint: undefined });
    expect(exitCodeFor(copy)).toBe(2);
  });
});
