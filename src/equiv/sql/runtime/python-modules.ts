// Dialect modules as Python modules: mutable, one object per module name in a worker, shared by
// every importer. An ES module namespace is read-only, but Python code patches modules
// (Manila's query.py replaces `oslo_db.sqlalchemy.orm.get_maker`, and oslo.db's EngineFacade then
// builds its sessions with Manila's). The module loader of equiv workers (load/hooks.ts) binds a
// service's `import * as orm from 'oslo.db/sqlalchemy/orm'` to this object; the runtime reads a
// patchable name through it too (oslo-session.ts: get_maker).

const modules = new Map<string, Record<string, unknown>>();

/** The module object of `name` (made from its namespace the first time): a patch made on it is seen by all. */
export function pythonModule(name: string, namespace: object): Record<string, unknown> {
  let module = modules.get(name);
  if (!module) {
    module = { ...namespace };
    modules.set(name, module);
  }
  return module;
}
