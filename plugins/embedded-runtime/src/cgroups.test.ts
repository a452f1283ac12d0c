import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { runtime } from '@kernelet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cgroups, sharesToWeight } from './cgroups.js';
import { startEmbeddedRuntime, type EmbeddedRuntimeServer } from './server.js';
import { CriClient, eventually, quietLogger, removeCgroupTree, tempDir } from './test-support.js';

const { CONTAINER_RUNNING, CONTAINER_EXITED } = runtime.ContainerState;
const cgroupRoot = `kernelet-test-${randomBytes(4).toString('hex')}`;
const podParent = `${cgroupRoot}-pods/pod-1`;

// What this host offers, probed the way the runtime does.
const host = await Cgroups.detect(`${cgroupRoot}-probe`, quietLogger());
await removeCgroupTree(`${cgroupRoot}-probe`);
const cpusetSkip = !host.has('cpuset') ? `no usable cpuset cgroup (${host.summary().unavailable.cpuset ?? ''})` : cpus().length < 2 ? 'needs 2 CPUs' : '';
const memorySkip = !host.has('memory') ? `no usable memory cgroup (${host.summary().unavailable.memory ?? ''})` : '';

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: EmbeddedRuntimeServer;
let cri: CriClient;

beforeAll(async () => {
  dir = await tempDir();
  server = await startEmbeddedRuntime({ socketPath: join(dir.path, 'rt.sock'), rootDir: join(dir.path, 'root'), cgroupRoot, logger: quietLogger() });
  cri = new CriClient(server.socketPath);
});

afterAll(async () => {
  cri.close();
  await server.close({ graceMs: 1000 });
  await removeCgroupTree(cgroupRoot);
  await removeCgroupTree(`${cgroupRoot}-pods`);
  await dir.remove();
});

async function cgroupFile(controller: string, containerId: string, file: string): Promise<string> {
  const dirPath = host.dir(controller as 'cpuset', join(podParent, containerId));
  if (!dirPath) throw new Error(`no ${controller} hierarchy`);
  return (await readFile(join(dirPath, file), 'utf8')).trim();
}

describe('cgroup limits', () => {
  it.skipIf(cpusetSkip !== '')(`UpdateContainerResources changes cpuset.cpus in the container's cgroup ${cpusetSkip ? `(skipped: ${cpusetSkip})` : ''}`, async () => {
    const sandboxId = await cri.sandbox('cpuset', join(dir.path, 'logs'), { linux: { cgroupParent: `/${podParent}` } });
    const id = await cri.container(sandboxId, 'pinned', ['sleep', '100'], { linux: { resources: { cpusetCpus: '0', cpuShares: 256n } } });
    await cri.call('startContainer', { containerId: id });
    const pid = Number((await cri.call('containerStatus', { containerId: id, verbose: true })).info['pid']);
    const processCpus = async () => /Cpus_allowed_list:\s*(\S+)/.exec(await readFile(`/proc/${String(pid)}/status`, 'utf8'))?.[1];

    expect(await cgroupFile('cpuset', id, 'cpuset.cpus')).toBe('0');
    expect(await processCpus()).toBe('0');
    if (host.version === 'v1') expect(await cgroupFile('cpu', id, 'cpu.shares')).toBe('256');
    const procs = await cgroupFile('cpuset', id, 'cgroup.procs');
    expect(procs.split('\n')).toContain(String(pid));

    await cri.call('updateContainerResources', { containerId: id, linux: { cpusetCpus: '1', cpuQuota: 50_000n, cpuPeriod: 100_000n } });
    expect(await cgroupFile('cpuset', id, 'cpuset.cpus')).toBe('1');
    expect(await processCpus()).toBe('1');
    if (host.version === 'v1') expect(await cgroupFile('cpu', id, 'cpu.cfs_quota_us')).toBe('50000');
    const status = await cri.status(id);
    expect(status.resources?.linux).toMatchObject({ cpusetCpus: '1', cpuShares: 256n, cpuQuota: 50_000n });

    await cri.call('removePodSandbox', { podSandboxId: sandboxId });
    await expect(cgroupFile('cpuset', id, 'cpuset.cpus')).rejects.toThrow(/ENOENT/);
  });

  it.skipIf(memorySkip !== '')(`a memory limit breach ends the container as OOMKilled with exit code 137 ${memorySkip ? `(skipped: ${memorySkip})` : ''}`, async () => {
    const sandboxId = await cri.sandbox('oom', join(dir.path, 'logs'), { linux: { cgroupParent: `/${podParent}` } });
    const id = await cri.container(sandboxId, 'hog', ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'], {
      linux: { resources: { memoryLimitInBytes: 32n * 1024n * 1024n } },
    });
    await cri.call('startContainer', { containerId: id });
    const status = await cri.waitForState(id, CONTAINER_EXITED, 15_000);
    expect([status.exitCode, status.reason]).toEqual([137, 'OOMKilled']);
    await cri.call('removePodSandbox', { podSandboxId: sandboxId });
  });

  it.skipIf(memorySkip !== '')('reports cpu and memory usage from cgroup counters', async () => {
    const sandboxId = await cri.sandbox('stats', join(dir.path, 'logs'), { linux: { cgroupParent: `/${podParent}` } });
    const id = await cri.container(sandboxId, 'busy', ['sh', '-c', 'x=$(head -c 20000000 /dev/zero | tr "\\0" a); while :; do :; done']);
    await cri.call('startContainer', { containerId: id });
    await cri.waitForState(id, CONTAINER_RUNNING);
    const stats = await eventually(async () => {
      const { stats: s } = await cri.call('containerStats', { containerId: id });
      return (s?.memory?.workingSetBytes?.value ?? 0n) > 10_000_000n && (s?.cpu?.usageCoreNanoSeconds?.value ?? 0n) > 0n ? s : undefined;
    }, 'memory and cpu usage');
    expect(stats.attributes?.id).toBe(id);
    const again = await eventually(async () => {
      const { stats: s } = await cri.call('containerStats', { containerId: id });
      // Two samples close together may see no CPU time pass on a loaded machine: poll until the busy loop shows.
      return (s?.cpu?.usageNanoCores?.value ?? 0n) > 0n ? s : undefined;
    }, 'a later sample with nano cores above zero');
    expect(again.cpu?.usageNanoCores?.value).toBeGreaterThan(0n);
    const pod = await cri.call('podSandboxStats', { podSandboxId: sandboxId });
    expect(pod.stats?.linux?.memory?.workingSetBytes?.value).toBeGreaterThan(10_000_000n);
    expect(pod.stats?.linux?.process?.processCount?.value).toBeGreaterThanOrEqual(1n);
    await cri.call('removePodSandbox', { podSandboxId: sandboxId });
  });
});

describe('sharesToWeight', () => {
  it.each([
    [2n, 1n],
    [1024n, 39n],
    [262_144n, 10_000n],
  ])('cpu.shares %d is cpu.weight %d', (shares, weight) => {
    expect(sharesToWeight(shares)).toBe(weight);
  });
});
