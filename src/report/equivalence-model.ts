// The result of `port-db equiv` as every report shows it (text, markdown, JSON, and the
// `equivalence` section of port-report.json). It lives here, below the commands, because the
// reports render it and the equiv command makes it.

export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

export type Verdict = 'equivalent' | 'diverged' | 'accepted' | 'order-dependent' | 'skipped';

/** `hang`: every task blocked with nothing due; `livelock`: no end within the step bound (concurrent groups). */
export type DivergenceKind = 'result' | 'error' | 'store' | 'hang' | 'livelock';

export interface Difference {
  /** `calls[2].ok.host`, `tables.services[0].topic`. */
  path: string;
  /** Absent: the side has nothing there. */
  sql?: Plain;
  rome?: Plain;
}

export interface Divergence {
  kind: DivergenceKind;
  /** The call it shows at (`#3 service_update`); absent for the tables. */
  call?: string;
  differences: Difference[];
  /** For an error: what each side's error said (shown, never compared). */
  messages?: { sql?: string; rome?: string };
  /** A concurrent scenario: the ROME schedule that gave it (a replay token)… */
  schedule?: string;
  /** …and the serial order of the SQL side it is closest to (`2,1`: the second call first). */
  closestOrder?: string;
  /** Locks whose TTL passed while their holder still worked, taken by another request in that schedule. */
  expiredLocks?: string[];
}

/** How a scenario with concurrent groups was explored (EQUIV.md §4). */
export interface ConcurrencyRun {
  /** Calls per group, in the order the scenario runs them. */
  groups: number[];
  /** SQL serial orders run, and how many distinct outcomes they allow. */
  orders: number;
  allowed: number;
  /** ROME schedules run; all with at most `preemptions` preemptions when `exhaustive`. */
  schedules: number;
  exhaustive: boolean;
  preemptions: number;
  /** Of `schedules`, seeded random (PCT) ones. */
  random: number;
  /** `--rome`: runs on the real store, each call of a group from a process of its own (`schedules` is the same number). */
  repetitions?: number;
  /** `--replay`: the one schedule run. */
  replayed?: string;
  /** Distinct outcomes the schedules gave, and how many schedules gave one SQL does not allow. */
  outcomes: number;
  divergedSchedules: number;
  /** Store latency per operation (virtual ms). */
  latencyMs: number;
  /**
   * The port's locks: `none` (no schedule took one), `teeth` (with them off, some schedule gives
   * an outcome SQL does not allow: the scenario exercises them), `weak` (it passes without them).
   */
  locks: 'none' | 'teeth' | 'weak' | 'not-checked';
}

export interface ScenarioResult {
  /** The scenario file, relative to the root. */
  file: string;
  name: string;
  verdict: Verdict;
  /** Why it was skipped, or what depends on the order. */
  reason?: string;
  divergences?: Divergence[];
  /** The reviewed reasons of an `accepted` verdict. */
  accepted?: Array<{ kind: DivergenceKind; call?: string; reason: string }>;
  /** The functions the scenario called, in order of first call. */
  calls: string[];
  /** Functions the SQL module answers synchronously and the port with a promise (compared awaited: callers must await). */
  awaited?: string[];
  /** Called functions the port marks for a human, with the reasons: a divergence there may be that code. */
  manual?: Array<{ function: string; reasons: string[] }>;
  /** The ROME side's lock log (lock, refused, unlock with the lock's name); of the first schedule for a concurrent scenario. */
  locks: string[];
  /** Present for a scenario with concurrent groups. */
  concurrency?: ConcurrencyRun;
  /** The command that runs this scenario alone. */
  replay: string;
}

export interface Coverage {
  /** Functions the port changed (ported or manual), as port-report.json lists them. */
  changed: number;
  /** Of those, how many a scenario with a verdict called. */
  exercised: number;
  /** Changed functions no scenario with a verdict calls. */
  missing: string[];
  /** Of `missing`, the ones only skipped scenarios call. */
  skippedOnly: string[];
  /** A run of some scenarios only (--only): `missing` says nothing then. */
  partial?: true;
}

export interface ModuleEquivalence {
  /** db/sqlalchemy/api.ts and db/discovery/api.ts, relative to the root. */
  source: string;
  port: string;
  scenarios: ScenarioResult[];
  coverage: Coverage;
  summary: Record<Verdict, number>;
}

export interface EquivalenceResult {
  modules: ModuleEquivalence[];
  /** The reference's string collation: `ci` as MySQL's default (case-insensitive), or `binary` as SQLite's. */
  sqlCollation: 'ci' | 'binary';
  /** The normaliser's rules, each with whether it was on. */
  normalisation: Array<{ name: string; says: string; source?: string; enabled: boolean }>;
  /** What the verdicts can and cannot claim. */
  note: string;
}
