// Redis servers of a test's or a bench's own (Debian's redis-server, installed by .ci/run): free
// loopback ports, a temp dir, no persistence; stop() ends them and removes the dir, so nothing is
// left running. A plain ES module, so vitest tests and the node scripts under bench/ share it.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts redis-server with `args` on `port`, its files in `dir`; resolves once it answers PING. */
async function serve(port, dir, args = []) {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', join(dir, 'log'), ...args],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  // ready when it answers PING (within 10 s)
  for (let i = 0; ; i++) {
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {}); // refused until the server listens: connect() rejects, that is enough
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') return kill;
    } catch (e) {
      if (i >= 100 || child.exitCode !== null) {
        await kill();
        throw new Error(`redis-server did not start on port ${port}: ${String(e)}`);
      }
      await sleep(100);
    } finally {
      probe.disconnect();
    }
  }
}

/** One redis-server: `{ url: 'redis://127.0.0.1:<port>', stop() }`. */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'port-db-redis-'));
  let kill;
  try {
    kill = await serve(port, dir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const stop = async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  return { url: `redis://127.0.0.1:${port}`, stop };
}

/**
 * A Redis Cluster of `masters` nodes (no replicas), the slots spread evenly by redis-cli:
 * `{ url: 'redis+cluster://127.0.0.1:p1,...', nodes: [{ host, port }], stop() }`, once every node
 * says cluster_state:ok.
 */
export async function startRedisCluster({ masters = 3 } = {}) {
  if (masters < 3) throw new Error('redis-cli --cluster create needs at least 3 masters');
  const dir = mkdtempSync(join(tmpdir(), 'port-db-redis-cluster-'));
  const kills = [];
  const stop = async () => {
    await Promise.all(kills.map((kill) => kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const nodes = [];
    for (let i = 0; i < masters; i++) {
      // the bus port is given (cluster-port): the default, port + 10000, may be taken or past 65535
      const [port, bus] = [await freePort(), await freePort()];
      const own = join(dir, String(i));
      mkdirSync(own);
      kills.push(await serve(port, own, ['--cluster-enabled', 'yes', '--cluster-config-file', join(own, 'nodes.conf'), '--cluster-port', String(bus), '--cluster-node-timeout', '5000']));
      nodes.push({ host: '127.0.0.1', port });
    }
    const addresses = nodes.map((n) => `${n.host}:${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await untilOk(nodes);
    return { url: `redis+cluster://${addresses.join(',')}`, nodes, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Waits (up to 20 s) until every node has seen the others and says cluster_state:ok. */
async function untilOk(nodes) {
  const clients = nodes.map((n) => new Redis(n.port, n.host, { maxRetriesPerRequest: 0 }));
  try {
    for (let i = 0; ; i++) {
      const infos = await Promise.all(clients.map((c) => c.cluster('INFO')));
      const ok = infos.every((info) => /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${nodes.length}\\b`).test(info));
      if (ok) return;
      if (i >= 200) throw new Error(`the cluster did not come up:\n${infos.join('\n')}`);
      await sleep(100);
    }
  } finally {
    for (const c of clients) c.disconnect();
  }
}
