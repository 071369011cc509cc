// `oslo.db/options` for the SQL reference: the [database] options' defaults. The reference runs
// on its own database whatever the connection says, so only the defaults are recorded.

/** Sets `conf.database.<name>` where the service's configuration has none (oslo_db/options.py set_defaults). */
export function set_defaults(conf: unknown, opts: Record<string, unknown> = {}): void {
  if (!conf || typeof conf !== 'object') return;
  const c = conf as { database?: Record<string, unknown> };
  c.database ??= {};
  for (const [name, value] of Object.entries(opts)) {
    if (value !== undefined && c.database[name] === undefined) c.database[name] = value;
  }
}
