// ROME's DLM (lib/rome/driver/redis/lock.py, ClusterLock): locks are fields of the hash `lock`,
// each a JSON {host, start_date, ttl, request_uuid, key}. The owner is the ClusterLock instance
// (its uuid, lock.py:241 and 252): a lock object shared by several requests is one owner.
// On a store whose `locks` is 'owner' (RedisStore by default) the same API takes owner-token locks
// instead (Store.lockAcquire/lockRelease; README, "Running a port on Redis").
import { currentClock, currentStore, romeRandom, romeUuid } from './runtime.js';

const LOCK_HASH = 'lock';

interface LockValue {
  host: string;
  start_date: number;
  ttl: number;
  request_uuid: string;
  key: string;
}

/** What equiv watches in the DLM (a lock cleared by another owner after its TTL passed). */
export const lockEvents: { expired?: (name: string) => void } = {};

export class ClusterLock {
  /** lock.py:241 — uuid1 per instance (ROME's own draws: runtime.ts, romeUuid). */
  readonly uuid = romeUuid();
  /**
   * On an 'owner' store: per name, the tokens of this instance's acquisitions not unlocked yet,
   * oldest first. One instance serves every request of a process (the port's module-level
   * `cluster_lock`), and `lock()` returns no handle, so `unlock(name)` releases the oldest.
   */
  private readonly held = new Map<string, string[]>();

  /**
   * lock.py:249-273: clears this lock if it expired, then ONE HSETNX (retry_count = 1). On
   * failure it deletes the keys it took (none, with one label), sleeps 5-10 ms and answers false.
   * (EQUIV.md §2 says "clear expired locks": lock.py:250 clears only the lock of this name.)
   */
  async lock(name: string, ttl: number): Promise<boolean> {
    if (currentStore().locks === 'owner') return this.ownerLock(name, ttl);
    await this.unlock(name, true);
    const key = `0_${name}`;
    const value: LockValue = { host: this.uuid, start_date: currentClock().now() / 1000, ttl, request_uuid: this.requestUuid(name), key };
    if (await currentStore().hsetnx(LOCK_HASH, key, JSON.stringify(value))) return true;
    await currentStore().hdel(LOCK_HASH, []);
    await currentClock().sleep(5 + romeRandom() * 5);
    return false;
  }

  /**
   * lock.py:275-295: deletes the lock if this instance owns it (unless only_expired) or if it
   * expired (`start_date + ttl/1000 < now`), one HDEL per reason (twice when both hold).
   */
  async unlock(name: string, only_expired = false): Promise<boolean> {
    if (currentStore().locks === 'owner') return this.ownerUnlock(name, only_expired);
    const now = currentClock().now() / 1000;
    const [data] = await currentStore().hmget(LOCK_HASH, [`0_${name}`]);
    const toDelete: string[] = [];
    if (data) {
      const held = JSON.parse(data) as LockValue;
      const mine = held.request_uuid === this.requestUuid(name);
      if (!only_expired && mine) toDelete.push(held.key);
      if (held.start_date + held.ttl / 1000 < now) {
        toDelete.push(held.key);
        // another owner's lock cleared because its TTL passed: its holder had not released it
        if (!mine) lockEvents.expired?.(name);
      }
    }
    for (const key of toDelete) await currentStore().hdel(LOCK_HASH, [key]);
    return true;
  }

  /**
   * The same contract on a real store (locks = 'owner'): one atomic attempt with a fresh token,
   * the 5-10 ms sleep on refusal (the emitted helpers' back-off counts on it). No read-then-delete
   * of an expired lock, which on a shared store can delete the lock another node just took:
   * the store expires it.
   */
  private async ownerLock(name: string, ttl: number): Promise<boolean> {
    const token = romeUuid();
    if (await currentStore().lockAcquire(name, token, ttl)) {
      const queue = this.held.get(name);
      if (queue) queue.push(token);
      else this.held.set(name, [token]);
      return true;
    }
    await currentClock().sleep(5 + romeRandom() * 5);
    return false;
  }

  /**
   * Releases this instance's oldest acquisition of `name`, and only while its token still holds
   * the lock. Why the oldest is safe: the lock is exclusive, so of the acquisitions queued here
   * only the newest can still hold it, and each request unlocks once, after its lock (the emitted
   * helpers' `finally`). A request whose lock expired and was taken by a successor releases its
   * own stale token (a no-op), never the successor's. If the successor unlocks first, it spends
   * the stale token and its own lock stays until the late request unlocks or the TTL passes: a
   * delay after an expiry, never a lock released under a request still inside. (Keyed by the
   * latest token instead, the late request released its successor's lock.)
   */
  private async ownerUnlock(name: string, only_expired: boolean): Promise<boolean> {
    const queue = this.held.get(name);
    if (only_expired || !queue) return true;
    const token = queue.shift()!;
    if (queue.length === 0) this.held.delete(name);
    await currentStore().lockRelease(name, token);
    return true;
  }

  // lock.py:252 hashes "<uuid>_<name>"; the string itself identifies the same owner.
  private requestUuid(name: string): string {
    return `${this.uuid}_${name}`;
  }
}

/**
 * The locks a service takes (the `ClusterLock` it imports), apart from ROME's own (a session's
 * flush locks): equiv counts them, and turns them off to see whether a scenario needs them
 * (EQUIV.md §4, "teeth"). Off, a lock is granted without touching the store and unlocking does
 * nothing.
 */
export const serviceLocks = { taken: 0, off: false };

export class ServiceClusterLock extends ClusterLock {
  override async lock(name: string, ttl: number): Promise<boolean> {
    if (serviceLocks.off) return true;
    const taken = await super.lock(name, ttl);
    if (taken) serviceLocks.taken++;
    return taken;
  }

  override async unlock(name: string, only_expired = false): Promise<boolean> {
    if (serviceLocks.off) return true;
    return super.unlock(name, only_expired);
  }
}
