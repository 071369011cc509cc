// The compiler API, as ts-morph bundles it (@ts-morph/common's typescript.js). Types: ts.d.cts (the same namespace).
//
// Two costs of loading it are avoided here (issue 6):
// - ts-morph is CommonJS without a "type" field: imported from an ES module, Node first scans and
//   lexes its bundle (120-180 ms of every run); required from this CommonJS module, it is not.
// - Compiling the compiler (9 MB of JavaScript) and the functions a run calls takes ~0.3 s of
//   every run. V8 can reuse that work from a code cache: Node 22 keeps one when asked
//   (module.enableCompileCache); on Node 20 this module keeps one for typescript.js, written once
//   after a run (so it holds the functions that run compiled) to the system's temporary folder.
//   V8 rejects a cache that does not match the file or itself; it is then written again.
//   PORT_DB_NO_COMPILE_CACHE=1 (or Node's NODE_DISABLE_COMPILE_CACHE=1) turns it off.
'use strict';
const Module = require('node:module');

function loadWithCodeCache() {
  const { createHash } = require('node:crypto');
  const fs = require('node:fs');
  const os = require('node:os');
  const path = require('node:path');
  const vm = require('node:vm');
  const { isMainThread } = require('node:worker_threads');
  const file = require.resolve('@ts-morph/common/dist/typescript.js');
  if (Module._cache[file]) return;
  const source = fs.readFileSync(file, 'utf8');
  const uid = typeof process.getuid === 'function' ? `-${process.getuid()}` : '';
  const dir = path.join(os.tmpdir(), `port-db-compile-cache${uid}`);
  // one cache per installed file and V8: two installs never overwrite each other's
  const key = createHash('sha256').update(`${file}\0${process.versions.v8}\0${process.arch}\0${source.length}`).digest('hex').slice(0, 24);
  const cacheFile = path.join(dir, `typescript-${key}.bin`);
  // compiled code is only taken from a folder this user owns and no one else can write to: the
  // temporary folder is shared, and a planted cache would be code run by port-db
  const safe = () => {
    try {
      const st = fs.lstatSync(dir);
      return st.isDirectory() && (typeof process.getuid !== 'function' || st.uid === process.getuid()) && (st.mode & 0o022) === 0;
    } catch {
      return false;
    }
  };
  let cachedData;
  try {
    cachedData = safe() ? fs.readFileSync(cacheFile) : undefined;
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
  Module._cache[file] = mod;
  if ((cachedData === undefined || script.cachedDataRejected) && isMainThread) {
    process.once('exit', () => {
      // best effort: a cache that cannot be written is only a slower next run
      const temp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        if (!safe()) return;
        fs.writeFileSync(temp, script.createCachedData());
        fs.renameSync(temp, cacheFile);
      } catch {
        // a temporary folder that cannot be written (not a folder, not this user's) may not be
        // read either: nothing was left there, and a throw here would print a stack at exit
        try {
          fs.rmSync(temp, { force: true });
        } catch {}
      }
    });
  }
}

const off = (name) => !!process.env[name] && process.env[name] !== '0';
if (!off('PORT_DB_NO_COMPILE_CACHE') && !off('NODE_DISABLE_COMPILE_CACHE')) {
  try {
    if (typeof Module.enableCompileCache === 'function') Module.enableCompileCache();
    else loadWithCodeCache();
  } catch {
    // the plain require below loads the compiler
  }
}

// The compiler itself, not ts-morph (which only re-exports it: loading ts-morph and
// @ts-morph/common, 4 MB of JavaScript port-db does not call, costs about 60 ms of every run).
// Not `module.exports = require(...)`: Node's lexer takes that for a re-export and, when an ES
// module imports this file, lexes the 9 MB bundle for its export names (about 0.1 s of every
// run); assigned from a variable, only this file is lexed.
const ts = require('@ts-morph/common/dist/typescript.js');
module.exports = ts;
