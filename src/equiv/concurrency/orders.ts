// The SQL side of a concurrent group (EQUIV.md §4): its calls run one after the other, in every
// order. What unique indexes and `FOR UPDATE` guarantee is that concurrent requests end as some
// serial order would: these outcomes are the ones a port may give.
import { runAsTask } from './scheduler.js';

/** Groups of more calls than this are refused: n! serial orders each. */
export const MAX_GROUP = 5;
/** Runs of one scenario at most (the product over its groups). */
export const MAX_ORDERS = 120;

/** Every permutation of 0..n-1, the identity first, in lexicographic order. */
export function permutations(n: number): number[][] {
  if (n > MAX_GROUP) throw new RangeError(`concurrently(): ${n} calls; at most ${MAX_GROUP} (each group runs in n! serial orders)`);
  const out: number[][] = [];
  const walk = (prefix: number[], rest: number[]) => {
    if (rest.length === 0) out.push(prefix);
    for (const [i, x] of rest.entries()) walk([...prefix, x], [...rest.slice(0, i), ...rest.slice(i + 1)]);
  };
  walk([], Array.from({ length: n }, (_, i) => i));
  return out;
}

/** Every combination of one order per group (groups in the order the scenario runs them). */
export function orderCombinations(sizes: readonly number[]): number[][][] {
  let combos: number[][][] = [[]];
  for (const n of sizes) {
    combos = combos.flatMap((c) => permutations(n).map((p) => [...c, p]));
    if (combos.length > MAX_ORDERS) throw new RangeError(`the scenario's groups (${sizes.join(', ')} calls) make more than ${MAX_ORDERS} serial orders: split it`);
  }
  return combos;
}

/** `2,1` for one group run second call first; groups separated by `|` (1-based, as the report counts calls). */
export function orderLabel(combo: readonly number[][]): string {
  return combo.map((order) => order.map((i) => i + 1).join(',')).join('|');
}

/** Runs the calls in `order`, one after the other; answers each call's settlement in the group's order. */
export async function serialGroup(calls: Array<() => unknown>, order: readonly number[]): Promise<Array<PromiseSettledResult<unknown>>> {
  const settled: Array<PromiseSettledResult<unknown>> = new Array(calls.length);
  for (const i of order) {
    try {
      settled[i] = { status: 'fulfilled', value: await runAsTask({ index: i, node: 0, done: false }, calls[i]) };
    } catch (reason) {
      settled[i] = { status: 'rejected', reason };
    }
  }
  return settled;
}
