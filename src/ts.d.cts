// The types of ts.cjs: the compiler API namespace of ts-morph, as a CommonJS export.
import morph = require('ts-morph');
import ts = morph.ts;
export = ts;
