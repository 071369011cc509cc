// How ROME stores values (lib/rome/core/dataformat/json.py): a datetime becomes
// {simplify_strategy: 'datetime', value: '%Y-%m-%d %H:%M:%S', timezone} — kept to the second
// (DATE_FORMAT, lib/rome/core/utils.py:32) — and is read back as a datetime (Decoder,
// json.py:351-356). Everything else is stored as it is.

export interface SimplifiedDatetime {
  simplify_strategy: 'datetime';
  value: string;
  timezone: string;
}

export function isSimplifiedDatetime(value: unknown): value is SimplifiedDatetime {
  return typeof value === 'object' && value !== null && (value as { simplify_strategy?: unknown }).simplify_strategy === 'datetime';
}

/** json.py:84-91 — the sub-second part is dropped by strftime. A JS Date is naive UTC here ('None'). */
export function simplifyDatetime(date: Date): SimplifiedDatetime {
  return { simplify_strategy: 'datetime', value: date.toISOString().slice(0, 19).replace('T', ' '), timezone: 'None' };
}

export function desimplifyDatetime(value: SimplifiedDatetime): Date {
  return new Date(`${value.value.replace(' ', 'T')}Z`);
}

/** The stored form of one field value (json.py:251-270, process_object). */
export function simplify(value: unknown): unknown {
  return value instanceof Date ? simplifyDatetime(value) : value;
}

/** The read form of one stored value (json.py:362-386, desimplify). */
export function desimplify(value: unknown): unknown {
  return isSimplifiedDatetime(value) ? desimplifyDatetime(value) : value;
}

/** Python's `==` on JSON-like values (1 == True == 1.0, dicts and lists compared deeply). */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (isNumeric(a) && isNumeric(b)) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && pyEquals(a[k], b[k]));
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b || (a == null && b == null);
}

/**
 * Python 2's ordering of mixed values, as `sorted` applies it to stored rows
 * (lib/rome/core/rows/tuples.py:298): None first, then numbers, then dicts (stored datetimes,
 * compared here by their text), lists, strings.
 */
export function pyCompare(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  const va = isSimplifiedDatetime(a) ? a.value : isNumeric(a) ? Number(a) : a;
  const vb = isSimplifiedDatetime(b) ? b.value : isNumeric(b) ? Number(b) : b;
  if (typeof va === 'number' || typeof va === 'string') return va < (vb as typeof va) ? -1 : va > (vb as typeof va) ? 1 : 0;
  return 0;
}

function rank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (isNumeric(v)) return 1;
  if (Array.isArray(v)) return 3;
  if (typeof v === 'object') return 2;
  return 4;
}

function isNumeric(v: unknown): v is number | boolean {
  return typeof v === 'number' || typeof v === 'boolean';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}
