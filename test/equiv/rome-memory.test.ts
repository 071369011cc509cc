// ROME's behaviour (rome-behaviour.ts) on the in-memory store.
import { createMemoryStore } from '../../src/equiv/rome-memory/index.js';
import { romeBehaviour } from './rome-behaviour.js';

romeBehaviour({ name: 'the in-memory store', fresh: async () => createMemoryStore() });
