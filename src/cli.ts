import { Command, CommanderError, Option } from 'commander';
import { exitCodeFor, type PortDbError } from './errors.js';
import { VERSION } from './version.js';
import { DEFAULT_CONCURRENCY as DEFAULTS, DEFAULT_REPEAT } from './equiv/concurrency/options.js';

/**
 * The command line: the only place that reads argv, prints and sets the exit code.
 * Heavy modules (ts-morph, prettier, diff) load inside the actions, so --help stays fast.
 */
async function colors(stream: NodeJS.WriteStream) {
  const { Chalk } = await import('chalk');
  const { isColorEnabled } = await import('./tty.js');
  return new Chalk({ level: isColorEnabled(process.env, stream.isTTY) ? 1 : 0 });
}

/** Progress lines on stderr: on a terminal only, and not in CI (src/tty.ts). */
async function progressOnStderr() {
  const { progressOn } = await import('./tty.js');
  return progressOn(process.stderr, process.env);
}

/** --rules, the same for every command (src/rules.ts resolveRulesSpec). */
const RULES_HELP =
  'rule pack: a path to a JSON pack, or "default" for the bundled one; without --rules, the "rules" of port-db.config.json (looked for in each root or path, then in its parent folders up to the working folder), else the bundled pack';

function program(writeOut?: (text: string) => void): Command {
  const cmd = new Command('port-db');
  // help is wrapped at 80 columns on every terminal: the same text everywhere, so that bin/port-db
  // can print it from dist/help.json without loading commander (see helpOutputs)
  cmd.configureHelp({ helpWidth: 80 });
  if (writeOut) cmd.configureOutput({ writeOut });
  cmd
    .description('Port SQLAlchemy-style data-access modules (db/sqlalchemy/api.ts) to ROME (db/discovery/api.ts)')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  cmd
    .command('port')
    .description('port every db/sqlalchemy/api.ts under the roots; writes db/discovery/{api.ts,PORT-REPORT.md,port-report.json}')
    .argument('<root...>', 'folders to search for db/sqlalchemy/api.ts')
    .option('--dry-run', 'write nothing; print the diff of the port and the summary')
    .option('--out <dir>', 'write the outputs under DIR (mirroring the root) instead of beside the sources')
    .option('--rules <pack>', RULES_HELP)
    .addOption(new Option('--format <format>', 'what to print after porting').choices(['text', 'md', 'json']).default('text'))
    .option('--wire', "add the discovery backend beside the SQL one in the service's dispatcher (db/api.ts) and select it in its config")
    .option('--force', 'overwrite a discovery module that was edited by hand (by default hand edits are merged with the new port)')
    .option('--strict', 'exit 1 when manual items, new type errors or lock-path findings remain')
    .addOption(new Option('--verify <checker>', 'the compiler that type-checks the port: native (TypeScript 7, the default; TypeScript 6 when it cannot run) or js (TypeScript 6)').choices(['native', 'js']))
    .option('--no-verify', 'skip the type check of the port against the ROME contract')
    .option('--equiv', "then run the scenarios (db/equiv/*.equiv.ts) on the SQL module and the port (as `port-db equiv`), and add the verdicts to the reports; runs the service's code")
    .action(async (roots: string[], opts) => {
      if (opts.equiv && (opts.dryRun || opts.out)) {
        const { UsageError } = await import('./errors.js');
        throw new UsageError(`--equiv runs the port written beside the sources: it cannot be combined with ${opts.dryRun ? '--dry-run' : '--out'}`, 'port first, then run `port-db equiv` on the ported tree');
      }
      const checker = typeof opts.verify === 'string' ? opts.verify : undefined;
      // the thread that will wait for the native compiler starts while the port is computed
      if (opts.verify !== false && checker !== 'js') (await import('./verify/native.js')).prestartNative();
      const { port } = await import('./port/run.js');
      const progress = await progressOnStderr();
      let result: Awaited<ReturnType<typeof port>>;
      try {
        result = port({ roots, out: opts.out, rules: opts.rules, dryRun: opts.dryRun, force: opts.force, verify: opts.verify !== false, checker, wire: opts.wire, progress: progress.report });
      } finally {
        progress.done();
      }
      const c = await colors(process.stdout);
      let equivFailed = false;
      let equivText = '';
      if (opts.equiv && result.written) {
        const { equiv, equivExitCode } = await import('./equiv/run.js');
        const progress = await progressOnStderr();
        const equivalence = await equiv({ roots, progress: progress.report }).finally(progress.done);
        const { attachEquivalence } = await import('./port/equivalence.js');
        attachEquivalence(result.modules, equivalence);
        equivFailed = equivExitCode(equivalence) !== 0;
        equivText = (await import('./report/equivalence.js')).renderEquivalenceText(equivalence, c);
      }
      if (opts.dryRun) {
        // with --format json or md stdout is that report alone (a program reads it, or it is saved
        // to a file): the diff, for the person at the terminal, goes to stderr like the summary
        const out = opts.format === 'text' ? process.stdout : process.stderr;
        const cd = opts.format === 'text' ? c : await colors(process.stderr);
        const { renderDiff } = await import('./report/diff.js');
        for (const m of result.modules) {
          const [api, ...reports] = m.files;
          out.write(renderDiff(`a/${m.sourceDisplay}`, `b/${api.display}`, m.sourceText, api.content, cd));
          for (const f of reports) {
            if (f.hold) continue; // a merge conflict leaves the reports as they are
            if (f.from) out.write(renderDiff(`a/${f.from.display}`, `b/${f.display}`, f.from.text, f.content, cd));
            else if (f.previous === undefined) out.write(cd.dim(`would create ${f.display} (${f.content.split('\n').length - 1} lines)\n`));
            else if (f.previous !== f.content) out.write(renderDiff(`a/${f.display}`, `b/${f.display}`, f.previous, f.content, cd));
          }
          // --wire: the service's own files, as they would change
          for (const f of m.wiring) if (!f.hold) out.write(renderDiff(`a/${f.display}`, `b/${f.display}`, f.previous ?? '', f.content, cd));
        }
      }
      if (opts.format === 'json') {
        process.stdout.write(JSON.stringify(result.modules.map((m) => m.report), null, 2) + '\n');
      } else if (opts.format === 'md') {
        // PORT-REPORT.md as the run rendered it (files: api.ts, PORT-REPORT.md, port-report.json, ...)
        process.stdout.write(result.modules.map((m) => m.files[1].content).join('\n'));
      } else {
        const { renderSummary } = await import('./report/summary.js');
        process[opts.dryRun ? 'stderr' : 'stdout'].write(renderSummary(result, c));
      }
      // hand edits: what the merge did goes with the summary; conflicts go to stderr and exit 1
      const { renderMergeNotes, hasConflicts, mergesOf } = await import('./port/merge.js');
      const merges = mergesOf(result.modules);
      const ce = await colors(process.stderr);
      const notes = renderMergeNotes(merges, !result.written, opts.format === 'text' && result.written ? c : ce);
      if (notes.notes) process[opts.format === 'text' && result.written ? 'stdout' : 'stderr'].write(notes.notes);
      if (notes.conflicts) process.stderr.write(notes.conflicts);
      if (equivText && opts.format === 'text') process.stdout.write(equivText);
      const strict = opts.strict ? (await import('./report/summary.js')).strictReasons(result) : [];
      if (strict.length) process.stderr.write(`port-db: --strict: exit 1: ${strict.join('; ')}\n`);
      if (strict.length || hasConflicts(merges) || equivFailed) process.exitCode = 1;
    });

  cmd
    .command('check')
    .description('find leftover SQL references and unresolved manual markers in TypeScript files (exit 1 on findings)')
    .argument('<path...>', 'files or folders to check')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif', 'github']).default('text'))
    .option('--rules <pack>', RULES_HELP)
    .option('--baseline <file>', 'known findings that do not fail the check')
    .option('--write-baseline <file>', 'record the current findings as the baseline')
    .action(async (paths: string[], opts) => {
      const { runCheck, renderCheck, checkExitCode } = await import('./check/index.js');
      const { rulePackForPaths } = await import('./rules.js');
      const rules = rulePackForPaths(paths, opts.rules);
      const progress = await progressOnStderr();
      const result = await runCheck({ paths, cwd: process.cwd(), rules: rules as never, baseline: opts.baseline, writeBaseline: opts.writeBaseline, progress: progress.report }).finally(progress.done);
      const color = (await colors(process.stdout)).level > 0;
      process.stdout.write(renderCheck(result, opts.format, { color, version: VERSION }));
      process.exitCode = checkExitCode(result);
      // the text output ends with its findings; a JSON, SARIF or annotation stream goes to a tool, so say it on stderr
      if (process.exitCode === 1 && opts.format !== 'text') process.stderr.write(`port-db: check: exit 1: ${result.summary.findings} finding${result.summary.findings === 1 ? '' : 's'}\n`);
    });

  cmd
    .command('equiv')
    .description("run each scenario (db/equiv/*.equiv.ts) on the SQL module and on its port, and show where they behave differently (exit 1 on a divergence); runs the service's code, writes nothing")
    .argument('<root...>', 'folders to search for ported modules (db/sqlalchemy/api.ts with db/discovery/api.ts)')
    .option('--only <text>', 'only the scenarios whose name contains TEXT')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'md', 'json']).default('text'))
    .option('--strict', 'exit 1 also on order-dependent scenarios, weak concurrent scenarios (they pass with the locks off) and changed functions without a scenario')
    .option('--timeout <seconds>', 'per scenario and side (for a concurrent one, per order or schedule): past it with no progress, the code is taken to await something that never comes', '30')
    .addOption(new Option('--sql-collation <collation>', "text comparison on the SQL side: ci (MySQL's default, case-insensitive) or binary").choices(['ci', 'binary']).default('ci'))
    .option('--self-check', 'run the SQL module against itself instead of the port: every scenario must be equivalent (checks the scenarios are deterministic and the reference runs them)')
    .option('--init', 'write a skeleton scenario for each changed function no scenario calls (db/equiv/<function>.equiv.ts); run nothing')
    .option('--preemptions <n>', 'concurrent groups: run every schedule with at most N preemptions', String(DEFAULTS.preemptions))
    .option('--schedules <n>', 'concurrent groups: at most N schedules per scenario (the exhaustive part first, then seeded random ones)', String(DEFAULTS.schedules))
    .option('--seed <n>', 'concurrent groups: the seed of the random schedules', String(DEFAULTS.seed))
    .option('--latency <ms>', 'concurrent groups: virtual milliseconds each store operation takes (a lock whose TTL passes while its holder works lets another request in)', String(DEFAULTS.latencyMs))
    .option('--replay <token>', "run one schedule again (the token a divergence's replay command gives; with --only)")
    .option('--rome <url>', 'run the port on a real store: redis://host:port or redis+cluster://host:port,… (each scenario under a key prefix of its own, removed afterwards; concurrent groups as real requests, one process per call)')
    .option('--repeat <n>', `with --rome: runs of each scenario with concurrent groups, each on a fresh prefix (default ${DEFAULT_REPEAT})`)
    .action(async (roots: string[], opts) => {
      const { equiv, equivExitCode, initScenarios, strictReasons } = await import('./equiv/run.js');
      const { UsageError } = await import('./errors.js');
      const count = (flag: string, value: string, min: number) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be a whole number ≥ ${min}, not '${value}'`);
        return n;
      };
      const concurrency = {
        preemptions: count('--preemptions', opts.preemptions, 0),
        schedules: count('--schedules', opts.schedules, 1),
        seed: count('--seed', opts.seed, 0),
        latencyMs: count('--latency', opts.latency, 0),
        ...(opts.replay !== undefined ? { replay: String(opts.replay) } : {}),
      };
      const repeat = opts.repeat !== undefined ? count('--repeat', opts.repeat, 1) : undefined;
      if (opts.init) {
        const written = initScenarios(roots);
        process.stdout.write(written.length ? written.map((f) => `wrote ${f}\n`).join('') : 'every changed function already has a scenario: nothing written\n');
        return;
      }
      const timeout = Number(opts.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout must be a positive number of seconds, not '${opts.timeout}'`);
      const progress = await progressOnStderr();
      const result = await equiv({ roots, only: opts.only, timeoutMs: timeout * 1000, against: opts.selfCheck ? 'source' : 'port', collation: opts.sqlCollation, concurrency, ...(opts.rome !== undefined ? { rome: String(opts.rome) } : {}), ...(repeat !== undefined ? { repeat } : {}), progress: progress.report }).finally(progress.done);
      if (opts.format === 'json') process.stdout.write(JSON.stringify({ tool: 'port-db', version: VERSION, equivalence: result }, null, 2) + '\n');
      else if (opts.format === 'md') process.stdout.write((await import('./report/equivalence.js')).renderEquivalenceMarkdown(result));
      else process.stdout.write((await import('./report/equivalence.js')).renderEquivalenceText(result, await colors(process.stdout)));
      process.exitCode = equivExitCode(result, opts.strict);
      if (opts.strict && process.exitCode === 1 && !result.modules.some((m) => m.summary.diverged > 0)) {
        process.stderr.write(`port-db: --strict: ${strictReasons(result).join('; ')}\n`);
      }
    });

  cmd
    .command('rules')
    .description('list every rewriter and check with its id, title, description and example, and the settings of the rule pack')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'md']).default('text'))
    .option('--rules <pack>', RULES_HELP)
    .action(async (opts) => {
      const { rulePackFor } = await import('./rules.js');
      const { renderRules } = await import('./report/rules.js');
      const pack = rulePackFor(process.cwd(), opts.rules);
      process.stdout.write(renderRules(pack, opts.format, { color: (await colors(process.stdout)).level > 0 }));
    });
  return cmd;
}

/** The help commands, each as its arguments: `--help`, `-h`, `help`, and the same for each command. */
function helpCommands(): string[][] {
  const names = program().commands.map((c) => c.name()).filter((name) => name !== 'help');
  return [['--help'], ['-h'], ['help'], ...names.flatMap((name) => [[name, '--help'], [name, '-h'], ['help', name]])];
}

/**
 * What each help command prints (keys: its arguments joined by NUL), as commander prints it. The
 * build writes this to dist/help.json, and bin/port-db answers those commands from it: help
 * costs what starting node costs (issue 6: under 150 ms), without commander or the CLI loaded.
 */
export async function helpOutputs(): Promise<Record<string, string>> {
  const outputs: Record<string, string> = {};
  for (const argv of helpCommands()) {
    let text = '';
    try {
      await program((s) => (text += s)).parseAsync(argv, { from: 'user' });
    } catch (e) {
      if (!(e instanceof CommanderError)) throw e;
    }
    outputs[argv.join('\0')] = text;
  }
  return outputs;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are not errors; commander's own exit code 1 for bad usage becomes 2
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    const code = exitCodeFor(e);
    if (code !== 3) {
      const err = e as PortDbError & { frame?: string };
      process.stderr.write(`port-db: error: ${err.message}\n`);
      if (err.frame) process.stderr.write(err.frame + '\n');
      if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
      return code;
    }
    // anything else is a bug in port-db: never exit 2 for it (that would blame the input)
    let detail: string;
    try {
      detail = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : `thrown value: ${String(e)}`;
    } catch {
      detail = 'thrown value that cannot be printed';
    }
    process.stderr.write(
      `port-db: internal error: this is a bug in port-db, not a problem with your input; please report it with this output\n` +
        `(port-db ${VERSION}, node ${process.version}, ${process.platform}; command: port-db ${argv.join(' ')}):\n${detail}\n`,
    );
    return 3;
  }
}
