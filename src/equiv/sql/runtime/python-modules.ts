// Dialect modules as Python modules: mutable, one object per module name in a worker, shared by
// every importer. An ES module namespace is read-only, but Python code patches modules
// (Manila's query.py replaces `oslo_db.sqlalchemy.orm.get_maker`, and oslo.db's EngineFacade then
// builds its sessions with Manila's). The module loader of equiv workers (load/hooks.ts) binds a
// service's `import * as orm from 'oslo.db/sqlalchemy/orm'` to this object; the runtime reads a
// patchable name through it too (oslo-session.ts: get_maker).

const modules = new Map<string, { module: Record<string, unknown>; namespace: object }>();

/** The module object of `name` (made from its namespace the first time): a patch made on it is seen by all. */
export function pythonModule(name: string, namespace: object): Record<string, unknown> {
  let entry = modules.get(name);
  if (!entry) modules.set(name, (entry = { module: { ...namespace }, namespace }));
  return entry.module;
}

/**
 * Every module object back to its namespace, in place (importers hold it): each scenario starts
 * from the dialect as shipped, as a fresh Python process would, not with the last scenario's patches.
 */
export function resetPythonModules(): void {
  for (const { module, namespace } of modules.values()) {
    for (const key of Object.keys(module)) delete module[key];
    Object.assign(module, namespace);
  }
}
