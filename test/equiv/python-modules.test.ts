// Dialect modules are mutable as Python's are (a service patches them: Manila's get_maker), and
// each scenario starts from the dialect as shipped (the worker resets them before loading one).
import { describe, expect, it } from 'vitest';
import { pythonModule, resetPythonModules } from '../../src/equiv/sql/runtime/python-modules.js';

describe('python modules', () => {
  it('one mutable object per name, shared by every importer; reset puts back the namespace in place and drops what a service added', () => {
    const original = () => 'sessionmaker';
    const namespace = Object.freeze({ get_maker: original, other: 1 });
    const orm = pythonModule('test/orm', namespace);
    expect(pythonModule('test/orm', namespace)).toBe(orm);
    const patched = () => 'manila query';
    orm.get_maker = patched;
    orm.added = true;
    expect(pythonModule('test/orm', namespace).get_maker).toBe(patched);
    resetPythonModules();
    expect(orm).toEqual({ get_maker: original, other: 1 });
    expect(pythonModule('test/orm', namespace)).toBe(orm);
  });
});
