// ROME's Redis driver (lib/rome/driver/redis/driver.py, RedisDriver) over the Store: a hash per
// table whose fields are `<table>:id:<id>` and whose values are JSON rows, and a counter
// `nextkey:<table>` per table. Each function issues the same store operations as its Python
// namesake, in the same order.
import { currentStore } from './runtime.js';

/** A stored row: the JSON object ROME keeps (columns plus its own `_…` keys). */
export type StoredRow = Record<string, unknown>;

function rowKey(table: string, id: unknown): string {
  return `${table}:id:${String(id)}`;
}

/** driver.py:126-129 — INCR nextkey:<table>. */
export async function nextKey(table: string): Promise<number> {
  return currentStore().incr(`nextkey:${table}`);
}

/** driver.py:150-160 — HGET; null when absent. */
export async function getRow(table: string, id: unknown): Promise<StoredRow | null> {
  const json = await currentStore().hget(table, rowKey(table, id));
  return json === null ? null : (JSON.parse(json) as StoredRow);
}

/** driver.py:137-148 — HSET of the JSON row (no secondary index: no model declares one). */
export async function putRow(table: string, id: unknown, row: StoredRow): Promise<void> {
  await currentStore().hset(table, rowKey(table, id), JSON.stringify(row));
}

/** driver.py:120-124 — HDEL: a hard delete. */
export async function removeRow(table: string, id: unknown): Promise<void> {
  await currentStore().hdel(table, [rowKey(table, id)]);
}

/**
 * driver.py:180-192 with _resolve_keys (162-178): the rows of a table, or only the rows whose id
 * is hinted (a query criterion on `id` narrows the load, see expression.ts idHints). Keys are
 * sorted by the id AS A STRING (driver.py:166: `sorted(keys, key=lambda x: x.split(":")[-1])`),
 * so rows come back in the order 1, 10, 2 when nothing else orders them.
 */
export async function getAll(table: string, idHints: readonly unknown[] = []): Promise<StoredRow[]> {
  const keys = idHints.length === 0 ? await currentStore().hkeys(table) : idHints.map((id) => rowKey(table, id));
  const unique = [...new Set(keys)].filter((key) => key !== 'None');
  if (unique.length === 0) return [];
  const idPart = (key: string) => key.split(':').at(-1) ?? '';
  unique.sort((a, b) => (idPart(a) < idPart(b) ? -1 : idPart(a) > idPart(b) ? 1 : 0));
  const values = await currentStore().hmget(table, unique);
  return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as StoredRow);
}
