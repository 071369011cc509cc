import type { Progress } from '../tty.js';

/** The rule ids `port-db check` reports (DESIGN §7), plus the one for dead suppressions. */
export type CheckRuleId =
  | 'sql-import'
  | 'sql-session'
  | 'raw-sql'
  | 'row-lock'
  | 'rome-unsupported'
  | 'manual-marker'
  | 'unused-suppression';

/** The part of a rule pack (rules/<pack>.json) that `check` reads. */
export interface RulePack {
  name?: string;
  target: { module: string; session: string; query?: string; lacks?: string[] };
  sessionFactories: string[];
  sqlModules: string[];
  rowLocks: string[];
  /**
   * Engine-level factories that also open SQL sessions. Not in the default pack; when absent
   * `check` uses {@link DEFAULT_ENGINE_FACTORIES}.
   */
  engineFactories?: string[];
  queryHelpers?: string[];
}

/** One leftover SQL reference (or manual marker, or dead suppression). */
export interface Finding {
  /** Relative to the check's cwd, forward slashes. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  rule: CheckRuleId;
  message: string;
}

export interface CheckSummary {
  /** Files considered (named or found by walking). */
  files: number;
  /** Files that passed the text pre-filter and were parsed. */
  scanned: number;
  /** Findings reported (after suppressions, marker folding and the baseline). */
  findings: number;
  /** Reported findings per rule id; every rule id is present. */
  byRule: Record<string, number>;
  /** Findings silenced by `port-db-ignore-*` comments. */
  suppressed: number;
  /** Findings matched by the baseline file and therefore not reported. */
  baselined: number;
}

export interface CheckResult {
  findings: Finding[];
  summary: CheckSummary;
}

export interface CheckOptions {
  /** Files and directories, relative to `cwd` or absolute. */
  paths: string[];
  cwd: string;
  rules: RulePack;
  /** Baseline file: findings it lists do not fail the check. */
  baseline?: string;
  /** Write every current finding to this baseline file (the result then reports none as new). */
  writeBaseline?: string;
  /**
   * Threads that parse, the calling one included. Default: chosen from the amount of source to
   * parse and the CPUs (big trees only: a worker costs about a second to start). 1 starts none.
   */
  jobs?: number;
  /** Told what the check is doing, once per file it parses (the CLI shows it on a terminal). */
  progress?: Progress;
}

/** Engine factories treated as SQL session sources when a complete pack (no extends) does not list its own; rules/default.json lists the same. */
export const DEFAULT_ENGINE_FACTORIES = [
  'get_engine',
  'getEngine',
  'create_engine',
  'createEngine',
  'EngineFacade',
  'sessionmaker',
  'sessionMaker',
  'scoped_session',
  'scopedSession',
];

/** What the target lacks or ignores when a complete pack does not say (rules/default.json lists the same). */
export const DEFAULT_TARGET_LACKS = [
  'limit', 'offset', 'one', 'exists', 'options', 'group_by', 'groupBy', 'having', 'subquery',
  'scalar', 'label', 'with_entities', 'withEntities', 'from_self', 'fromSelf', 'union', 'outerjoin', 'outer_join',
  'outerJoin', 'execute', 'rollback', 'begin_nested', 'beginNested', 'merge', 'expire', 'expire_all', 'expireAll', 'refresh', 'expunge', '__mapper__',
];

/** The data a file scan needs; plain JSON so it can be sent to a worker thread. */
export interface ScanConfig {
  targetModule: string;
  targetSession: string;
  sessionFactories: string[];
  engineFactories: string[];
  sqlModules: string[];
  rowLocks: string[];
  /** Members the target lacks or ignores: reported in discovery modules (rome-unsupported). */
  targetLacks: string[];
  /** The target's query class name (a parameter typed with it is a query). */
  targetQuery: string;
  /** Query helpers (`model_query`): a call of one is a query. */
  queryHelpers: string[];
}

/** A finding before it is placed: `pos` is a UTF-16 offset into the file text. */
export interface RawFinding {
  pos: number;
  rule: CheckRuleId;
  message: string;
}

/** What scanning one file gives back. */
export interface FileScanResult {
  rel: string;
  findings: Finding[];
  suppressed: number;
}

/** Builds the scan configuration from a rule pack. */
export function toScanConfig(pack: RulePack): ScanConfig {
  return {
    targetModule: pack.target.module,
    targetSession: pack.target.session,
    sessionFactories: [...pack.sessionFactories],
    engineFactories: [...(pack.engineFactories ?? DEFAULT_ENGINE_FACTORIES)],
    sqlModules: [...pack.sqlModules],
    rowLocks: [...pack.rowLocks],
    targetLacks: [...(pack.target.lacks ?? DEFAULT_TARGET_LACKS)],
    targetQuery: pack.target.query ?? 'RomeQuery',
    queryHelpers: [...(pack.queryHelpers ?? ['model_query', 'modelQuery'])],
  };
}
