// The deterministic scheduler and the exploration of schedules (EQUIV.md §4), on a bare store:
// what interleavings it runs, what it finds, and that a token replays its schedule.
import { describe, expect, it } from 'vitest';
import { explore, parseToken, pctChooser, prefixChooser, tokenOf } from '../../src/equiv/concurrency/explore.js';
import { Hang, Livelock, Scheduler, type Chooser, type VirtualTime } from '../../src/equiv/concurrency/scheduler.js';
import { MemoryStore, type Store } from '../../src/equiv/rome-memory/store.js';

function clock(): VirtualTime {
  let now = 0;
  return { now: () => now, advanceTo: (t) => (now = Math.max(now, t)) };
}

/** One run of `tasks` (each gets the scheduled store) under `choose`: the trace, the store, the settlements. */
async function runOnce(choose: Chooser, tasks: Array<(store: Store, sleep: (ms: number) => Promise<void>) => Promise<unknown>>, opts = { latencyMs: 0, maxSteps: 1000 }) {
  const time = clock();
  const scheduler = new Scheduler(choose, time, opts);
  const memory = new MemoryStore();
  const store = scheduler.wrap(memory);
  const sleep = (ms: number) => new Promise<void>((resolve) => scheduler.timer(resolve, ms) ?? resolve());
  const settled = await scheduler.group(tasks.map((t) => () => t(store, sleep)), tasks.map((_, i) => i));
  return { trace: scheduler.trace, memory, settled, time };
}

/** read-modify-write of a counter, no lock: two of them can lose an update */
const increment = async (store: Store) => {
  const v = Number((await store.hget('t', 'n')) ?? 0);
  await store.hset('t', 'n', String(v + 1));
};

/** the same under a spin lock (HSETNX, back-off on the virtual clock) */
const lockedIncrement = async (store: Store, sleep: (ms: number) => Promise<void>) => {
  while (!(await store.hsetnx('lock', 'n', 'x'))) await sleep(10);
  try {
    await increment(store);
  } finally {
    await store.hdel('lock', ['n']);
  }
};

async function outcomes(tasks: Array<(store: Store, sleep: (ms: number) => Promise<void>) => Promise<unknown>>, preemptions: number) {
  const seen = new Map<string, number>();
  const explored = await explore(
    async (choose) => {
      const { trace, memory } = await runOnce(choose, tasks);
      const n = memory.dump().hashes.t?.n ?? '0';
      seen.set(n, (seen.get(n) ?? 0) + 1);
      return trace;
    },
    { preemptions, schedules: 10_000, seed: 7 },
  );
  return { explored, values: [...seen.keys()].sort() };
}

describe('the scheduler', () => {
  it('without preemptions runs each task to its end, in both orders: no lost update', async () => {
    const { explored, values } = await outcomes([increment, increment], 0);
    expect(explored).toEqual({ schedules: 4, exhaustive: true, random: 2 });
    expect(values).toEqual(['2']);
  });

  it('with one preemption finds the lost update of an unlocked read-modify-write', async () => {
    const { explored, values } = await outcomes([increment, increment], 1);
    expect(explored.exhaustive).toBe(true);
    expect(values).toEqual(['1', '2']);
  });

  it('a spin lock on HSETNX with a virtual back-off keeps every schedule to 2 preemptions from losing one', async () => {
    const { explored, values } = await outcomes([lockedIncrement, lockedIncrement, lockedIncrement], 2);
    expect(explored.exhaustive).toBe(true);
    expect(explored.schedules).toBeGreaterThan(50);
    expect(values).toEqual(['3']);
  });

  it('counts preemptions: the exhaustive part grows with the bound', async () => {
    const counts = [];
    for (const p of [0, 1, 2]) counts.push((await outcomes([increment, increment], p)).explored.schedules - (await outcomes([increment, increment], p)).explored.random);
    // 2 tasks of 2 operations: 2 schedules with no preemption; 2 + 2×1 with one (a preemption
    // after the first operation of the running task); all 6 interleavings with two
    expect(counts).toEqual([2, 4, 6]);
  });

  it('a token replays its schedule, step for step', async () => {
    const tasks = [lockedIncrement, increment, lockedIncrement];
    const first = await runOnce(pctChooser(3, 2, 16), tasks);
    const token = tokenOf(first.trace);
    const again = await runOnce(prefixChooser(parseToken(token)), tasks);
    expect(tokenOf(again.trace)).toBe(token);
    expect(again.memory.dump()).toEqual(first.memory.dump());
  });

  it('the same PCT seed gives the same schedule; another seed may not', async () => {
    const tasks = [lockedIncrement, lockedIncrement, increment];
    const a = tokenOf((await runOnce(pctChooser(11, 2, 16), tasks)).trace);
    const b = tokenOf((await runOnce(pctChooser(11, 2, 16), tasks)).trace);
    expect(a).toBe(b);
    const others = new Set<string>();
    for (let seed = 0; seed < 20; seed++) others.add(tokenOf((await runOnce(pctChooser(seed, 2, 16), tasks)).trace));
    expect(others.size).toBeGreaterThan(1);
  });

  it('every task blocked with nothing due is a hang, naming the tasks', async () => {
    const never = () => new Promise(() => undefined);
    await expect(runOnce(prefixChooser([]), [increment, async (s) => { await s.hget('t', 'n'); await never(); }])).rejects.toThrow(Hang);
    await expect(runOnce(prefixChooser([]), [increment, async () => never()])).rejects.toThrow(/tasks #2 never finish/);
  });

  it('a task that never ends is a livelock at the step bound', async () => {
    const spin = async (store: Store) => {
      for (;;) await store.hget('t', 'n');
    };
    await expect(runOnce(prefixChooser([]), [spin, increment], { latencyMs: 0, maxSteps: 50 })).rejects.toThrow(Livelock);
  });

  it('timers fire on the virtual clock: a sleeping task waits while others step, then the clock jumps', async () => {
    const order: string[] = [];
    const { time } = await runOnce(prefixChooser([]), [
      async (store, sleep) => {
        await sleep(1000);
        order.push('slept');
        await store.hset('t', 'a', '1');
      },
      async (store) => {
        await store.hset('t', 'b', '1');
        order.push('stepped');
      },
    ]);
    expect(order).toEqual(['stepped', 'slept']);
    expect(time.now()).toBe(1000);
  });

  it('latency moves the clock at each step, so a timer can come due while others work', async () => {
    const order: string[] = [];
    await runOnce(
      prefixChooser([]),
      [
        async (store, sleep) => {
          await sleep(25);
          order.push('woke');
        },
        async (store) => {
          for (let i = 0; i < 5; i++) {
            await store.hget('t', 'n');
            order.push(`op${i}`);
          }
        },
      ],
      { latencyMs: 10, maxSteps: 100 },
    );
    // woke after the third operation (30 ms), before the fourth
    expect(order.indexOf('woke')).toBe(3);
  });
});
