// ROME's Session (lib/rome/core/session/session.py:32-135). No identity map, no dirty tracking:
// only what was added is written, at flush. No rollback.
import { mappingOf, type EntityClass } from './mapping.js';
import { ClusterLock } from './lock.js';
import { DBDeadlock } from './errors.js';
import { saveEntity, type Entity, type SavingSession } from './entity.js';
import { entityOf, signatureOf } from './loaded-row.js';
import { RomeQuery } from './query.js';
import { romeUuid } from './runtime.js';

export class RomeSession implements SavingSession {
  readonly session_id = romeUuid();
  readonly alreadySaved = new Set<string>();
  private objectsAdd: object[] = [];
  private objectsDelete: object[] = [];
  /** session.py:41: each session has its own DLM client, hence its own lock owner. */
  private readonly dlm = new ClusterLock();
  private acquiredLocks: string[] = [];

  /** session.py:52-60: queued unless an object with the same signature already is. */
  add(...objs: object[]): void {
    for (const obj of objs) if (!alreadyIn(obj, this.objectsAdd)) this.objectsAdd.push(obj);
  }

  /** session.py:62-67 (what Query.update queues): replaces a queued object with the same signature. */
  update(obj: object): void {
    const signature = signatureOf(obj);
    this.objectsAdd = this.objectsAdd.filter((o) => signatureOf(o) !== signature);
    if (!alreadyIn(obj, this.objectsAdd)) this.objectsAdd.push(obj);
  }

  /** session.py:69-77: queued; the commit soft-deletes it. */
  delete(...objs: object[]): void {
    for (const obj of objs) if (!alreadyIn(obj, this.objectsDelete)) this.objectsDelete.push(obj);
  }

  query(...targets: unknown[]): RomeQuery {
    return RomeQuery.ofSession(this, targets);
  }

  /**
   * session.py:83-84 and 16-30 (SessionControlledExecution): the block runs, then the session
   * flushes — only if the block did not throw. A throw propagates; nothing is rolled back and
   * the queued objects stay queued for a later flush.
   */
  async begin<R>(work: () => R | PromiseLike<R>): Promise<R> {
    const result = await work();
    await this.flush();
    return result;
  }

  /** session.py:86-90. */
  async flush(): Promise<void> {
    await this.canCommitRequest();
    await this.commit();
  }

  /**
   * session.py:103-122: one lock `session_lock_<table>_<id>` (TTL 100 ms) per queued object that
   * has an id, taken in order; on the first one held elsewhere, release those taken and raise
   * DBDeadlock at once (no wait, no retry).
   */
  private async canCommitRequest(): Promise<void> {
    const locks: string[] = [];
    for (const obj of [...this.objectsAdd, ...this.objectsDelete]) {
      const { id } = obj as Entity;
      if (id == null) continue;
      const name = `session_lock_${mappingOf(entityOf(obj).constructor as EntityClass).table}_${String(id)}`;
      if (!(await this.dlm.lock(name, 100))) {
        for (const taken of locks) await this.dlm.unlock(taken);
        throw new DBDeadlock();
      }
      locks.push(name);
    }
    this.acquiredLocks = locks;
  }

  /**
   * session.py:124-135: saves what was added (force, at most once per row per session), then
   * soft-deletes what was deleted (a direct save), then releases the locks — with Python's
   * remove-while-iterating: only the 1st, 3rd, 5th… lock is released, the others expire.
   */
  private async commit(): Promise<void> {
    for (const obj of this.objectsAdd) await saveEntity(entityOf(obj) as Entity, this);
    for (const obj of this.objectsDelete) await (entityOf(obj) as Entity).soft_delete();
    const locks = this.acquiredLocks;
    for (let i = 0; i < locks.length; i++) {
      await this.dlm.unlock(locks[i]);
      locks.splice(i, 1);
    }
    this.objectsAdd = [];
    this.objectsDelete = [];
  }
}

function alreadyIn(obj: object, objects: readonly object[]): boolean {
  const signature = signatureOf(obj);
  return objects.includes(obj) || objects.some((o) => signatureOf(o) === signature);
}
