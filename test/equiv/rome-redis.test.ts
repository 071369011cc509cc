// ROME's behaviour (rome-behaviour.ts) on a real redis-server of the test's own: the store is a
// RedisStore with ROME's locks (the tests pin ROME's DLM), every key under a prefix cleared before
// each test.
import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/equiv/rome-memory/redis-store.js';
import { startRedis, type TestRedis } from '../../scripts/redis-servers.mjs';
import { romeBehaviour } from './rome-behaviour.js';

let redis: TestRedis;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});

afterAll(async () => {
  await client?.quit();
  await redis?.stop();
});

romeBehaviour({
  name: 'Redis',
  fresh: async () => {
    const store = new RedisStore({ client, prefix: 'behaviour:', locks: 'rome' });
    await store.clear();
    return store;
  },
});
