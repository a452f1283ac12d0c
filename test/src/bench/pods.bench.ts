// The pod benchmarks of the static-pod issue, on containerd and on the embedded runtime:
// one pod manifest → running; 100 pods at once against the runtime's own floor (the same pods
// started over CRI with no agent); teardown; agent RSS and CPU at 0, 30 and 100 pods; PLEG
// relist time at 10, 100 and 250 pods. Needs root (containerd is set up by its script).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { percentile, type Bench, type BenchRow } from './bench.js';
import { BenchAgent, cpuSeconds, criFloor, median, pssBytes, rssBytes, setupContainerd, type RuntimeKind } from './pods-support.js';

const STEADY_MS = 30_000;
const names = (prefix: string, n: number, from = 0) => Array.from({ length: n }, (_, i) => `${prefix}-${from + i}`);

async function steady(agent: BenchAgent): Promise<{ rssMiB: number; pssMiB: number; cores: number }> {
  await new Promise((r) => setTimeout(r, 3000));
  const pids = await agent.pids();
  const cpu0 = pids.reduce((s, p) => s + cpuSeconds(p), 0);
  const t0 = Date.now();
  const rss: number[] = [];
  const pss: number[] = [];
  while (Date.now() - t0 < STEADY_MS) {
    await new Promise((r) => setTimeout(r, 1000));
    rss.push(pids.reduce((s, p) => s + rssBytes(p), 0));
    pss.push(pids.reduce((s, p) => s + pssBytes(p), 0));
  }
  const cpu1 = pids.reduce((s, p) => s + cpuSeconds(p), 0);
  return { rssMiB: Math.max(...rss) / 2 ** 20, pssMiB: Math.max(...pss) / 2 ** 20, cores: (cpu1 - cpu0) / ((Date.now() - t0) / 1000) };
}

async function relistMs(agent: BenchAgent, windowMs = 10_000): Promise<number> {
  await new Promise((r) => setTimeout(r, 2000));
  const sum0 = await agent.metric('kubelet_pleg_relist_duration_seconds_sum');
  const count0 = await agent.metric('kubelet_pleg_relist_duration_seconds_count');
  await new Promise((r) => setTimeout(r, windowMs));
  const sum1 = await agent.metric('kubelet_pleg_relist_duration_seconds_sum');
  const count1 = await agent.metric('kubelet_pleg_relist_duration_seconds_count');
  return count1 > count0 ? ((sum1 - sum0) / (count1 - count0)) * 1000 : Number.NaN;
}

async function benchRuntime(kind: RuntimeKind, endpoint: string): Promise<BenchRow[]> {
  const measured: BenchRow[] = [];
  // Progress on stderr as figures come in: the whole run takes several minutes.
  const rows = {
    push(row: BenchRow) {
      measured.push(row);
      process.stderr.write(`  ${row.metric}: ${typeof row.value === 'number' ? row.value.toFixed(3) : row.value} ${row.unit}\n`);
    },
  };
  const label = (what: string) => `${what} (${kind})`;
  let agent = await BenchAgent.start(kind, endpoint);
  try {
    // One pod, manifest written -> container running (the container's own start time), 5 times.
    const single: number[] = [];
    for (let i = 0; i < 5; i++) {
      const name = `single-${i}`;
      const written = await agent.writeOne(name);
      await agent.waitCounts((c) => c.running >= 1, 30_000, 5);
      const started = (await agent.startedAt()).get(name) ?? Number.NaN;
      single.push(started - written);
      await agent.remove([name]);
      await agent.waitCounts((c) => c.containers === 0 && c.sandboxes === 0, 60_000, 50);
    }
    rows.push({ metric: label('one pod: manifest written -> container running, median of 5'), value: median(single), unit: 'ms', target: kind === 'containerd' ? '<= 200 ms' : '' });

    const idle = await steady(agent);
    rows.push({ metric: label('agent + plugins RSS, 0 pods'), value: idle.rssMiB, unit: 'MiB' });
    rows.push({ metric: label('agent + plugins CPU, 0 pods'), value: idle.cores, unit: 'cores' });

    // The floor: the same 100 pods over CRI with no agent running.
    await agent.process.kill('SIGTERM');
    const floor = await criFloor(agent.cri, 100, join(agent.root.path, 'floor-logs'));
    await agent.cri.removeAll({ 'kernelet.bench': 'floor' });
    for (let i = 0; i < 100; i++) {
      for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'blkio', 'devices', 'freezer', 'systemd', 'hugetlb', 'net_cls', 'perf_event']) {
        await rm(`/sys/fs/cgroup/${c}/kubepods/besteffort/podfloor-${process.pid}-${i}`, { recursive: false, force: true }).catch(() => undefined);
      }
    }
    rows.push({ metric: label('runtime floor: 100 pods over CRI, no agent'), value: floor.wallMs / 1000, unit: 's' });

    agent = await BenchAgent.start(kind, endpoint, agent.root);

    // 100 pods from manifests written at once.
    const hundred = names('p', 100);
    const written = await agent.write(hundred);
    const t0 = Math.min(...written.values());
    // Latencies come from the containers' own start times, so the wait polls slowly: the
    // floor ran with nothing listing the runtime, and neither should the measured run.
    const allRunning = await agent.waitCounts((c) => c.running >= 100, 300_000, 1000);
    const started = await agent.startedAt();
    const latencies = hundred.map((n) => (started.get(n) ?? Number.NaN) - (written.get(n) ?? t0));
    const wall = Math.max(...latencies.filter(Number.isFinite));
    rows.push({ metric: label('100 pods: written -> all running (wall)'), value: wall / 1000, unit: 's' });
    rows.push({ metric: label('100 pods: per-pod latency p50'), value: percentile(latencies, 50) / 1000, unit: 's' });
    rows.push({ metric: label('100 pods: per-pod latency p99'), value: percentile(latencies, 99) / 1000, unit: 's' });
    rows.push({ metric: label('100 pods: agent wall / runtime floor'), value: wall / floor.wallMs, unit: 'x', target: '<= 1.1x' });
    void allRunning;

    const full = await steady(agent);
    rows.push({ metric: label('agent + plugins RSS, 100 pods'), value: full.rssMiB, unit: 'MiB', target: '<= 120 MiB' });
    rows.push({ metric: label('agent + plugins PSS, 100 pods'), value: full.pssMiB, unit: 'MiB' });
    rows.push({ metric: label('agent + plugins CPU, 100 pods'), value: full.cores, unit: 'cores', target: '<= 0.08' });
    if (kind === 'containerd') rows.push({ metric: label('PLEG relist, 100 pods'), value: await relistMs(agent), unit: 'ms' });

    // Teardown: every manifest deleted.
    const t1 = Date.now();
    await agent.remove(hundred);
    const stopped = await agent.waitCounts((c) => c.running === 0, 300_000, 100);
    const gone = await agent.waitCounts((c) => c.sandboxes === 0 && c.containers === 0, 300_000, 100);
    rows.push({ metric: label('teardown of 100 pods: no container running'), value: (stopped - t1) / 1000, unit: 's' });
    rows.push({ metric: label('teardown of 100 pods: no sandbox left'), value: (gone - t1) / 1000, unit: 's' });

    // 30 pods.
    await agent.write(names('q', 30));
    await agent.waitCounts((c) => c.running >= 30, 120_000, 100);
    const thirty = await steady(agent);
    rows.push({ metric: label('agent + plugins RSS, 30 pods'), value: thirty.rssMiB, unit: 'MiB' });
    rows.push({ metric: label('agent + plugins CPU, 30 pods'), value: thirty.cores, unit: 'cores' });
    await agent.remove(names('q', 30));
    await agent.waitCounts((c) => c.sandboxes === 0 && c.containers === 0, 120_000, 250);

    if (kind === 'containerd') {
      for (const n of [10, 250]) {
        await agent.write(names(`r${n}`, n));
        await agent.waitCounts((c) => c.running >= n, 600_000, 250);
        rows.push({ metric: label(`PLEG relist, ${n} pods`), value: await relistMs(agent), unit: 'ms' });
        await agent.remove(names(`r${n}`, n));
        await agent.waitCounts((c) => c.sandboxes === 0 && c.containers === 0, 600_000, 250);
      }
    }
  } catch (error) {
    rows.push({ metric: label('failed'), value: (error as Error).message, unit: '' });
  } finally {
    await agent.dispose();
  }
  return measured;
}

export const bench: Bench = {
  name: 'pods (static pods end to end)',
  async run() {
    if (process.getuid?.() !== 0) return [{ metric: 'skipped', value: 'needs root', unit: '' }];
    const only = process.env['KERNELET_BENCH_RUNTIMES']?.split(',') ?? ['containerd', 'embedded'];
    const endpoint = only.includes('containerd') ? await setupContainerd() : '';
    const rows: BenchRow[] = [];
    for (const kind of only as RuntimeKind[]) rows.push(...(await benchRuntime(kind, endpoint)));
    return rows;
  },
};
