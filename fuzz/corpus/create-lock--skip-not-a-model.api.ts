export async function cache_create(values: Record<string, any>) {
  const cache = new Map<string, any>();
  Object.assign(cache, values);
  return cache;
}
