// mulberry32: a small, well-known 32-bit PRNG; enough for reproducible draws and schedules (not
// for secrets).
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Math.random as the process had it, before any scenario seeded it (determinism.ts): for draws
 * that are the harness's own, which must not take the service's seeded draws (sql.js names each
 * database with one: the SQL side would then draw one more than the ROME side, and the UUIDs the
 * service generates would differ between the sides).
 */
export const unseededRandom = Math.random;
