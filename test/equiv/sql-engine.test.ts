import { beforeEach, describe, expect, it } from 'vitest';
import { ConstraintError, constraintOf, openEngine, type SqlEngine } from '../../src/equiv/sql/engine.js';
import { createTable, creationOrder, type TableSpec } from '../../src/equiv/sql/schema.js';

// The reference's tables, shaped like Nova's services and compute_nodes (fixtures/nova models):
// a unique key holding the soft-delete column, a String(255), a foreign key.
const services: TableSpec = {
  name: 'services',
  columns: [
    { name: 'id', type: 'integer', nullable: false, primaryKey: true },
    { name: 'host', type: 'text', length: 255, nullable: true },
    { name: 'topic', type: 'text', length: 255, nullable: true },
    { name: 'disabled', type: 'boolean', nullable: true },
    { name: 'deleted', type: 'integer', nullable: true },
  ],
  uniqueKeys: [['host', 'topic', 'deleted']],
};
const computeNodes: TableSpec = {
  name: 'compute_nodes',
  columns: [
    { name: 'id', type: 'integer', nullable: false, primaryKey: true },
    { name: 'service_id', type: 'integer', nullable: false, references: { table: 'services', column: 'id' } },
    { name: 'hypervisor_hostname', type: 'text', length: 5, nullable: false },
  ],
  uniqueKeys: [],
};

let db: SqlEngine;
beforeEach(async () => {
  db = await openEngine();
  for (const t of creationOrder([computeNodes, services])) db.run(createTable(t));
});

const service = (host: string | null, topic: string | null, deleted = 0) => db.run('INSERT INTO services (host, topic, deleted) VALUES (?, ?, ?)', [host, topic, deleted]);
const violation = (work: () => unknown) => {
  try {
    work();
  } catch (e) {
    if (e instanceof ConstraintError) return e.violation;
    throw e;
  }
  throw new Error('no constraint error');
};

describe('the SQL reference engine (sql.js)', () => {
  it('enforces unique keys and names their columns in key order, as oslo.db reads them into DBDuplicateEntry', () => {
    service('h1', 'compute');
    expect(violation(() => service('h1', 'compute'))).toMatchObject({ kind: 'unique', table: 'services', columns: ['host', 'topic', 'deleted'] });
  });

  it('reports the unique key declared first when a row breaks two, as MySQL does', async () => {
    const two = await openEngine();
    two.run(createTable({ ...services, uniqueKeys: [['host', 'topic'], ['host', 'disabled']] }));
    two.run("INSERT INTO services (host, topic, disabled) VALUES ('h1', 'a', 0)");
    expect(violation(() => two.run("INSERT INTO services (host, topic, disabled) VALUES ('h1', 'a', 0)")).columns).toEqual(['host', 'topic']);
  });

  it('keeps NULLs distinct in a unique key, and a soft-deleted row outside the live rows\' key', () => {
    service(null, 'compute');
    service(null, 'compute');
    service('h1', 'compute', 0);
    service('h1', 'compute', 3);
    expect(db.all('SELECT count(*) AS n FROM services')[0].n).toBe(4);
  });

  it('enforces NOT NULL, String(n) lengths and foreign keys', () => {
    service('h1', 'compute');
    expect(violation(() => db.run('INSERT INTO compute_nodes (service_id) VALUES (1)'))).toMatchObject({ kind: 'not-null', table: 'compute_nodes', columns: ['hypervisor_hostname'] });
    expect(violation(() => db.run("INSERT INTO compute_nodes (service_id, hypervisor_hostname) VALUES (1, 'toolong')"))).toMatchObject({ kind: 'check' });
    expect(violation(() => db.run("INSERT INTO compute_nodes (service_id, hypervisor_hostname) VALUES (9, 'n1')"))).toMatchObject({ kind: 'foreign-key' });
  });

  it('compares strings as MySQL does by default (case-insensitive), or binary when asked', async () => {
    service('Host1', 'compute');
    expect(violation(() => service('host1', 'compute')).kind).toBe('unique');
    const binary = await openEngine();
    binary.run(createTable(services, { collation: 'binary' }));
    binary.run("INSERT INTO services (host, topic, deleted) VALUES ('Host1', 'c', 0)");
    expect(binary.run("INSERT INTO services (host, topic, deleted) VALUES ('host1', 'c', 0)")).toBe(1);
  });

  it('never reuses an autoincrement id, as MySQL does', () => {
    service('h1', 'a');
    service('h2', 'a');
    db.run('DELETE FROM services WHERE id = 2');
    service('h3', 'a');
    expect(db.lastInsertId()).toBe(3);
  });

  it('rolls back a transaction and a savepoint', () => {
    db.begin();
    service('h1', 'a');
    db.savepoint('sp1');
    service('h2', 'a');
    db.rollbackTo('sp1');
    db.release('sp1');
    db.commit();
    db.begin();
    service('h3', 'a');
    db.rollback();
    expect(db.all('SELECT host FROM services ORDER BY id')).toEqual([{ host: 'h1' }]);
  });

  it('restores a snapshot, foreign keys still enforced after it', () => {
    service('h1', 'a');
    const bytes = db.snapshot();
    service('h2', 'a');
    expect(violation(() => db.run("INSERT INTO compute_nodes (service_id, hypervisor_hostname) VALUES (9, 'n1')")).kind).toBe('foreign-key');
    db.restore(bytes);
    expect(db.all('SELECT host FROM services')).toEqual([{ host: 'h1' }]);
    expect(violation(() => db.run("INSERT INTO compute_nodes (service_id, hypervisor_hostname) VALUES (9, 'n1')")).kind).toBe('foreign-key');
  });

  it('creates a referenced table before the tables that reference it', () => {
    expect(creationOrder([computeNodes, services]).map((t) => t.name)).toEqual(['services', 'compute_nodes']);
  });

  it('reads SQLite\'s constraint messages, and nothing else', () => {
    expect(constraintOf('UNIQUE constraint failed: key_pairs.user_id, key_pairs.name, key_pairs.deleted')).toEqual({
      kind: 'unique',
      table: 'key_pairs',
      columns: ['user_id', 'name', 'deleted'],
      message: 'UNIQUE constraint failed: key_pairs.user_id, key_pairs.name, key_pairs.deleted',
    });
    expect(constraintOf('no such table: x')).toBeUndefined();
    expect(() => db.run('SELECT * FROM nowhere')).toThrow(/no such table/);
  });
});
