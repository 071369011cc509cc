// The `rome-orm` a port imports under `port-db equiv`: the in-memory ROME, with the service's
// ClusterLock the one equiv counts and turns off (lock.ts, `serviceLocks`: the "teeth" run).
// Apart from index.ts, so that `port-db/rome-memory` and `port-db/rome-redis` users get the plain
// ClusterLock, with no process-wide switch that turns their locks off.
export * from './index.js';
export { ServiceClusterLock as ClusterLock } from './lock.js';
