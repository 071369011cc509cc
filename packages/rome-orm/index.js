// `rome-orm`, the module a port imports: port-db's runtime over Redis, re-exported under that name
// so that a ported service runs as emitted, with no resolver alias (README, "Running a port on
// Redis"). One module instance with `port-db/rome-redis`: useStore from either is the same.
export * from 'port-db/rome-redis';
