// The in-memory ROME: the `rome-orm` API (rules/rome-orm.d.ts) with the behaviour of ROME's
// Python source (BeyondTheClouds/rome, lib/rome/), over a Store laid out like its Redis driver.
// A ported service's tests import it under the name `rome-orm` (README, "Testing a port on the
// in-memory ROME").
export { RomeSession } from './session.js';
export { RomeQuery } from './query.js';
export { Entity } from './entity.js';
export { ClusterLock } from './lock.js';
export { or_, and_, not_ } from './expression.js';
export { forgetMappedClasses } from './mapping.js';
export { Column, ForeignKey, relationship, backref, Integer, BigInteger, SmallInteger, Float, Boolean, DateTime, Text, String, Enum } from './mapping.js';
export { DBError, DBDuplicateEntry, DBDeadlock, NoResultFound, MultipleResultsFound, UnsupportedInRomeMemory } from './errors.js';
export { createMemoryStore, MemoryStore, type Store } from './store.js';
export { systemClock, type Clock } from './clock.js';
export { useStore, useClock, useDraws, currentStore, currentClock } from './runtime.js';
