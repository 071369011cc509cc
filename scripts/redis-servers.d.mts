/** Types of scripts/redis-servers.mjs (for the tests that import it). */
export interface TestRedis {
  /** redis://127.0.0.1:<port> */
  url: string;
  /** Ends the server and removes its temp dir. */
  stop(): Promise<void>;
}

export interface TestRedisCluster {
  /** redis+cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,... (RedisStore's cluster URL) */
  url: string;
  /** The masters' addresses. */
  nodes: Array<{ host: string; port: number }>;
  /** Ends every node and removes their temp dir. */
  stop(): Promise<void>;
}

export declare function startRedis(): Promise<TestRedis>;
export declare function startRedisCluster(options?: { masters?: number }): Promise<TestRedisCluster>;
