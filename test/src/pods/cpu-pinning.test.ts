// Exclusive CPUs on real containers: the CPU manager plugin (static policy) pins a Guaranteed
// pod, the agent applies the cpusets through CRI and keeps every other container off the
// pinned CPU, on containerd and on the embedded runtime.
//
// The Guaranteed pod asks for cpu: 2, or for every CPU but the reserved CPU 0 on a machine
// with fewer than 3 (the static policy needs at least one CPU reserved for the system).
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CPUSet, type ContainerStatus, type Pod } from '@kernelet/sdk/common';
import { IS_ROOT, PodAgent, alive, podManifest, sleep, type RuntimeKind } from './pod-harness.js';
import { podSuite } from './pod-suite.js';

const CPUSET_ROOT = '/sys/fs/cgroup/cpuset';
const skip = !IS_ROOT || cpus().length < 2 || !readFileSync('/proc/self/cgroup', 'utf8').includes(':cpuset:');
const ALL = CPUSet.parse(`0-${cpus().length - 1}`);
const EXCLUSIVE = Math.min(2, cpus().length - 1);

const main = (pod: Pod | undefined): ContainerStatus | undefined => pod?.status?.containerStatuses?.find((c) => c.name === 'main');
const running = (pod: Pod) => main(pod)?.state?.running !== undefined;
const containerId = (pod: Pod | undefined) => (main(pod)?.containerID ?? '').replace(/^[a-z-]+:\/\//, '');

/** The cpuset the container's cgroup has, and the CPUs its main process may run on. */
function cpusetOf(id: string): { cgroup: string; process: string } | undefined {
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1] === 'cpuset');
      const path = line?.split(':')[2] ?? '';
      if (!path.endsWith(`/${id}`) || !alive(Number(pid))) continue;
      return {
        cgroup: readFileSync(join(CPUSET_ROOT, path, 'cpuset.cpus'), 'utf8').trim(),
        process: /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '',
      };
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

async function waitForCpuset(id: string, want: string, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = cpusetOf(id);
  while (Date.now() < deadline) {
    last = cpusetOf(id);
    if (last?.cgroup === want && last.process === want) return;
    await sleep(100);
  }
  throw new Error(`${what}: cpuset of container ${id} is ${JSON.stringify(last)}, not ${want}`);
}

function guaranteed(name: string): Pod {
  const pod = podManifest(name);
  const cpu = String(EXCLUSIVE);
  const resources = { requests: { cpu, memory: '64Mi' }, limits: { cpu, memory: '64Mi' } };
  pod.spec!.containers[0]!.resources = resources;
  return pod;
}

async function stateEntries(a: PodAgent): Promise<Record<string, Record<string, string>>> {
  const state = JSON.parse(await readFile(join(a.root.path, 'cpu_manager_state'), 'utf8')) as { entries?: Record<string, Record<string, string>> };
  return state.entries ?? {};
}

describe.each<RuntimeKind>(['containerd', 'embedded'])('exclusive CPUs on %s', (runtime) => {
  const suite = podSuite(runtime, { enabled: !skip });

  const options = {
    config: { cpuManagerPolicy: 'static', reservedSystemCPUs: '0', cpuManagerReconcilePeriod: '2s' },
    args: ['--plugins', 'cpu-manager'],
  };

  it.skipIf(skip)('pins a Guaranteed pod, moves the others off its CPUs, keeps it across restarts and a plugin crash, and returns it on delete', async () => {
    const a = await suite.start({ ...options });
    await a.process.waitForPlugin('cpu-manager', 'registered', 20_000);

    // A pod without exclusive CPUs runs on the shared pool: every CPU while nothing is pinned.
    await a.writeManifest('shared.yaml', podManifest('shared'));
    const shared = containerId(await a.waitForPod('shared', running, 30_000, 'running'));
    await waitForCpuset(shared, ALL.toString(), 'shared pod before pinning');

    // The Guaranteed pod gets exclusive CPUs (never the reserved CPU 0); the shared pod is moved off them.
    await a.writeManifest('pinned.yaml', guaranteed('pinned'));
    const pinnedPod = await a.waitForPod('pinned', running, 30_000, 'running');
    const pinned = containerId(pinnedPod);
    const uid = pinnedPod.metadata?.uid ?? '';
    const entries = await stateEntries(a);
    expect(Object.keys(entries)).toEqual([uid]);
    const exclusive = CPUSet.parse(entries[uid]?.['main'] ?? '');
    expect(exclusive.size).toBe(EXCLUSIVE);
    expect(exclusive.has(0)).toBe(false);
    const pinnedCpus = exclusive.toString();
    const sharedCpus = ALL.difference(exclusive).toString();
    await waitForCpuset(pinned, pinnedCpus, 'pinned pod');
    await waitForCpuset(shared, sharedCpus, 'shared pod after pinning');
    const placed = { pinned: { cgroup: pinnedCpus, process: pinnedCpus }, shared: { cgroup: sharedCpus, process: sharedCpus } };

    // An agent restart (with a new plugin host) adopts both containers and keeps the assignment.
    await a.stopAgent();
    const b = await suite.start({ ...options, root: a.root });
    await b.process.waitForPlugin('cpu-manager', 'registered', 20_000);
    await b.waitForPod('pinned', running, 30_000, 'running after the restart');
    await sleep(3000); // more than a reconcile period
    expect(containerId(await b.pod('pinned'))).toBe(pinned);
    expect(containerId(await b.pod('shared'))).toBe(shared);
    expect(cpusetOf(pinned)).toEqual(placed.pinned);
    expect(cpusetOf(shared)).toEqual(placed.shared);
    expect(await stateEntries(b)).toEqual({ [uid]: { main: pinnedCpus } });

    // Killing the CPU manager leaves running containers as they are, while it is down and once it is back.
    const plugin = await b.process.waitForPlugin('cpu-manager', 'registered');
    process.kill(plugin.pid as number, 'SIGKILL');
    await b.process.waitForPlugin('cpu-manager', 'disconnected', 10_000);
    await sleep(2500);
    expect(cpusetOf(pinned)).toEqual(placed.pinned);
    expect(cpusetOf(shared)).toEqual(placed.shared);
    await b.process.waitForPlugin('cpu-manager', 'registered', 30_000);
    await sleep(2500);
    for (const name of ['pinned', 'shared']) {
      const pod = await b.pod(name);
      expect(main(pod)?.restartCount, name).toBe(0);
      expect(main(pod)?.state?.running, name).toBeDefined();
    }
    expect(containerId(await b.pod('pinned'))).toBe(pinned);
    expect(cpusetOf(pinned)).toEqual(placed.pinned);
    expect(cpusetOf(shared)).toEqual(placed.shared);

    // Deleting the pinned pod returns its CPUs to the shared pool.
    await b.removeManifest('pinned.yaml');
    await b.waitForGone('pinned');
    await waitForCpuset(shared, ALL.toString(), 'shared pod after the pinned pod left');
    expect(await stateEntries(b)).toEqual({});
  }, 180_000);
});
