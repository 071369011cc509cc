// Preloaded (node -r) into every timed process: on exit, records its peak RSS (KiB) and CPU
// time (user + system, µs) in $BENCH_RSS_DIR/<pid> for bench/run.mjs. Worker threads are in
// the same process, so counted.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.BENCH_RSS_DIR;
if (dir) {
  process.on('exit', () => {
    try {
      const u = process.resourceUsage();
      writeFileSync(join(dir, String(process.pid)), `${u.maxRSS} ${u.userCPUTime + u.systemCPUTime}`);
    } catch {
      // a missing record only blanks the RSS and CPU columns
    }
  });
}
