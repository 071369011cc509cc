// The ported nova sample (rome-redis-nova.ts) on a 3-master Redis Cluster of the test's own,
// reached by its redis+cluster:// URL.
import { vi } from 'vitest';
import { startRedisCluster } from '../../scripts/redis-servers.mjs';
import { novaOnRedis } from './rome-redis-nova.js';

vi.mock('rome-orm', () => import('port-db/rome-redis'));
// the port keeps two SQL names for code it marks manual; the functions run here never call them
vi.mock('sqlalchemy', () => ({ func: {}, text: () => undefined }));

novaOnRedis('a Redis Cluster', () => startRedisCluster({ masters: 3 }));
