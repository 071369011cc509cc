// The ported nova sample (rome-redis-nova.ts) on one redis-server of the test's own.
import { vi } from 'vitest';
import { startRedis } from '../../scripts/redis-servers.mjs';
import { novaOnRedis } from './rome-redis-nova.js';

vi.mock('rome-orm', () => import('port-db/rome-redis'));
// the port keeps two SQL names for code it marks manual; the functions run here never call them
vi.mock('sqlalchemy', () => ({ func: {}, text: () => undefined }));

novaOnRedis('Redis', startRedis);
