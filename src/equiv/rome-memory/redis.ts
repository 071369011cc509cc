// `port-db/rome-redis`: the same runtime as `port-db/rome-memory` (one module instance, so
// useStore here is the one `rome-orm` sessions use), plus the Store on Redis. Apart so that the
// in-memory ROME never loads ioredis.
export * from './index.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
