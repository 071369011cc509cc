// What the CLI's concurrency flags set (EQUIV.md §5).

/** How the ROME side explores concurrent groups (EQUIV.md §4; the CLI's flags). */
export interface ConcurrencyOptions {
  preemptions: number;
  schedules: number;
  seed: number;
  latencyMs: number;
  /** Steps past which a schedule is a livelock. */
  maxSteps: number;
  /** Rerun with the port's locks off to see whether the scenario exercises them. */
  teeth: boolean;
  /**
   * The teeth run itself (the parent asks it once the SQL outcomes are known): the schedules with
   * the port's locks off, stopping at the first outcome whose normalised form is not `allowed`.
   */
  teethAgainst?: { allowed: string[]; rules: string[]; unordered: boolean };
  /** Run this schedule only (a replay token). */
  replay?: string;
}

/** The defaults, for the CLI's flags, the library's options and the run alike (this module imports nothing: the CLI loads it at start). */
export const DEFAULT_CONCURRENCY: ConcurrencyOptions = { preemptions: 2, schedules: 10_000, seed: 1, latencyMs: 0, maxSteps: 20_000, teeth: true };

/** `--repeat`: runs of each scenario with concurrent groups on a real store (`--rome`). */
export const DEFAULT_REPEAT = 10;
