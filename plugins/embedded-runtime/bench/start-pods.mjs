#!/usr/bin/env node
// Pod start latency and daemon memory of the embedded runtime (run after `npx tsc -b`):
//   node plugins/embedded-runtime/bench/start-pods.mjs [pods=100] [rounds=3]
// Starts a private daemon in a temp dir and, each round, measures RunPodSandbox →
// container RUNNING one pod at a time, N pods at once, and two floors taken right
// before: N `sleep` processes spawned from Node, and the same each moved into its own
// cgroup in every hierarchy the runtime uses. Prints medians over the rounds and the
// daemon's RSS idle and with N running containers.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL } from 'node:url';
import { credentials, Metadata } from '@grpc/grpc-js';
import { runtime } from '@kernelet/proto';
import { ensureEmbeddedRuntime } from '../dist/index.js';

const pods = Number(process.argv[2] ?? 100);
const rounds = Number(process.argv[3] ?? 3);
const dir = await mkdtemp('/tmp/ker-bench-');
const socketPath = join(dir, 'rt.sock');
const cgroupRoot = `kernelet-bench-${randomBytes(3).toString('hex')}`;
const nodeFlags = (process.env['KERNELET_BENCH_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== '');
const daemon = await ensureEmbeddedRuntime({
  socketPath,
  rootDir: join(dir, 'root'),
  logFile: join(dir, 'runtime.log'),
  cgroupRoot,
  logLevel: 'warn',
  ...(nodeFlags.length > 0 ? { command: [process.execPath, ...nodeFlags, new URL('../dist/main.js', import.meta.url).pathname] } : {}),
});
const client = new runtime.RuntimeServiceClient(`unix:${socketPath}`, credentials.createInsecure());

function call(method, request) {
  const name = `${method[0].toUpperCase()}${method.slice(1)}Request`;
  return new Promise((resolve, reject) =>
    client[method](runtime[name].fromPartial(request), new Metadata(), { deadline: Date.now() + 60_000 }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

async function rssMiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

let podCount = 0;
async function startPod() {
  const name = `pod-${podCount++}`;
  const t0 = performance.now();
  const { podSandboxId } = await call('runPodSandbox', {
    config: { metadata: { name, namespace: 'bench', uid: `uid-${name}`, attempt: 0 }, logDirectory: join(dir, 'logs', name) },
  });
  const { containerId } = await call('createContainer', {
    podSandboxId,
    config: { metadata: { name: 'sleep', attempt: 0 }, image: { image: 'busybox' }, command: ['sleep', '3600'], logPath: 'sleep/0.log' },
  });
  await call('startContainer', { containerId });
  const { status } = await call('containerStatus', { containerId });
  if (status.state !== runtime.ContainerState.CONTAINER_RUNNING) throw new Error(`${name} is not running`);
  return { podSandboxId, ms: performance.now() - t0 };
}

function spawnSleep() {
  return new Promise((resolve, reject) => {
    const child = spawn('sleep', ['3600'], { stdio: 'ignore', detached: true });
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

/** N sleeps spawned from Node, optionally each moved into a fresh cgroup in every hierarchy. */
async function floor(withCgroups) {
  const cgroups = JSON.parse((await call('status', { verbose: true })).info.cgroups);
  const hierarchies = withCgroups ? [...new Set(cgroups.available.map((c) => (cgroups.version === 'v2' ? '/sys/fs/cgroup' : `/sys/fs/cgroup/${c}`)))] : [];
  const base = `${cgroupRoot}-floor`;
  for (const h of hierarchies) {
    await mkdir(join(h, base), { recursive: true });
    if (h.endsWith('cpuset')) for (const f of ['cpuset.cpus', 'cpuset.mems']) await writeFile(join(h, base, f), await readFile(join(h, f)));
  }
  const t0 = performance.now();
  const children = await Promise.all(
    Array.from({ length: pods }, async (_, i) => {
      const child = await spawnSleep();
      await Promise.all(
        hierarchies.map(async (h) => {
          const d = join(h, base, `c${i}`);
          await mkdir(d);
          if (h.endsWith('cpuset')) for (const f of ['cpuset.cpus', 'cpuset.mems']) await writeFile(join(d, f), await readFile(join(h, base, f)));
          await writeFile(join(d, 'cgroup.procs'), String(child.pid));
        }),
      );
      return child;
    }),
  );
  const ms = performance.now() - t0;
  await Promise.all(children.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGKILL')))));
  for (const h of hierarchies) {
    for (let i = 0; i < pods; i++) await rmdir(join(h, base, `c${i}`)).catch(() => undefined);
    await rmdir(join(h, base)).catch(() => undefined);
  }
  return ms;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const pct = (values, p) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))];
const out = (line) => process.stdout.write(`${line}\n`);

await call('version', {});
const idle = await rssMiB(daemon.pid);
const results = { one: [], all: [], floor: [], floorCg: [], remove: [] };
let busy = 0;
let settled = 0;
for (let round = 0; round < rounds; round++) {
  const one = [];
  for (let i = 0; i < 20; i++) {
    const { podSandboxId, ms } = await startPod();
    one.push(ms);
    await call('removePodSandbox', { podSandboxId });
  }
  results.one.push(median(one));
  results.floor.push(await floor(false));
  results.floorCg.push(await floor(true));
  const t0 = performance.now();
  const started = await Promise.all(Array.from({ length: pods }, () => startPod()));
  results.all.push(performance.now() - t0);
  busy = Math.max(busy, await rssMiB(daemon.pid));
  await sleep(3000);
  settled = Math.max(settled, await rssMiB(daemon.pid));
  const r0 = performance.now();
  await Promise.all(started.map(({ podSandboxId }) => call('removePodSandbox', { podSandboxId })));
  results.remove.push(performance.now() - r0);
  out(`round ${round + 1}: one pod ${results.one.at(-1).toFixed(1)} ms; ${pods} pods ${results.all.at(-1).toFixed(0)} ms; floors ${results.floor.at(-1).toFixed(0)} / ${results.floorCg.at(-1).toFixed(0)} ms; remove ${results.remove.at(-1).toFixed(0)} ms`);
}

out(`embedded runtime: ${pods} pods of one sleep container each, ${rounds} rounds (medians), load average ${(await readFile('/proc/loadavg', 'utf8')).split(' ')[0]}`);
out(`  RunPodSandbox → container RUNNING, one pod at a time: ${median(results.one).toFixed(1)} ms (p90 of round medians ${pct(results.one, 90).toFixed(1)})`);
out(`  ${pods} pods at once, all RUNNING: ${median(results.all).toFixed(0)} ms`);
out(`  floor, ${pods} sleeps spawned from Node: ${median(results.floor).toFixed(0)} ms; with a cgroup each in every hierarchy: ${median(results.floorCg).toFixed(0)} ms`);
out(`  remove ${pods} pods: ${median(results.remove).toFixed(0)} ms`);
out(`  daemon RSS: idle ${idle.toFixed(1)} MiB; with ${pods} running containers ${busy.toFixed(1)} MiB right after starting them, ${settled.toFixed(1)} MiB 3 s later`);

client.close();
process.kill(daemon.pid, 'SIGTERM');
await sleep(1000);
await rm(dir, { recursive: true, force: true });
for (const controller of ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', '']) {
  await rmdir(join('/sys/fs/cgroup', controller, cgroupRoot)).catch(() => undefined);
}
