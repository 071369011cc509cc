// Preloaded (node -r) into every timed process: on exit, records its peak RSS (KiB) in
// $BENCH_RSS_DIR/<pid> for bench/run.mjs. Worker threads are in the same process, so counted.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.BENCH_RSS_DIR;
if (dir) {
  process.on('exit', () => {
    try {
      writeFileSync(join(dir, String(process.pid)), String(process.resourceUsage().maxRSS));
    } catch {
      // a missing record only blanks the RSS column
    }
  });
}
