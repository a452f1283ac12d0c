import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runtime } from '@kernelet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cgroups } from './cgroups.js';
import { quietLogger, tempDir } from './test-support.js';

// The unified hierarchy, faked with plain files: checks which files the v2 driver writes
// and how it reads counters (the machines this runs on have cgroup v1 hybrid).
describe('cgroup v2 driver (on a fake unified hierarchy)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let root: string;
  let cgroups: Cgroups;
  const read = (path: string) => readFile(join(root, path), 'utf8');

  beforeAll(async () => {
    dir = await tempDir();
    root = join(dir.path, 'cgroup');
    await mkdir(join(root, 'kernelet'), { recursive: true });
    await writeFile(join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids\n');
    await writeFile(join(root, 'kernelet/cgroup.controllers'), 'cpuset cpu memory pids\n');
    const mountinfo = join(dir.path, 'mountinfo');
    await writeFile(mountinfo, `25 30 0:22 / /proc rw - proc proc rw\n35 24 0:30 / ${root} rw,nosuid,nodev - cgroup2 cgroup2 rw,nsdelegate\n`);
    cgroups = await Cgroups.detect('kernelet', quietLogger(), { mountinfo, unifiedRoot: root });
  });

  afterAll(async () => {
    await dir.remove();
  });

  it('detects v2 and delegates controllers down to the default parent', async () => {
    expect(cgroups.summary()).toMatchObject({ version: 'v2', available: ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids'], unavailable: {} });
    expect(await read('cgroup.subtree_control')).toBe('+cpu +cpuset +memory +pids');
    expect(await read('kernelet/cgroup.subtree_control')).toBe('+cpu +cpuset +memory +pids');
  });

  it('creates the container cgroup, writes v2 limits and moves a pid in', async () => {
    const created = await cgroups.create('kubepods/pod1/c1');
    expect(created.sort()).toEqual(['kubepods', 'kubepods/pod1']);
    expect(await read('kubepods/cgroup.subtree_control')).toBe('+cpu +cpuset +memory +pids');
    expect(await read('kubepods/pod1/cgroup.subtree_control')).toBe('+cpu +cpuset +memory +pids');

    await cgroups.apply(
      'kubepods/pod1/c1',
      runtime.LinuxContainerResources.fromPartial({
        cpuShares: 1024n,
        cpuQuota: 50_000n,
        cpuPeriod: 100_000n,
        memoryLimitInBytes: 64n << 20n,
        memorySwapLimitInBytes: 64n << 20n,
        cpusetCpus: '0-1',
        cpusetMems: '0',
        unified: { 'memory.high': '50000000' },
      }),
    );
    expect(await read('kubepods/pod1/c1/cpu.weight')).toBe('39');
    expect(await read('kubepods/pod1/c1/cpu.max')).toBe('50000 100000');
    expect(await read('kubepods/pod1/c1/memory.max')).toBe(String(64 << 20));
    expect(await read('kubepods/pod1/c1/memory.swap.max')).toBe('0');
    expect(await read('kubepods/pod1/c1/cpuset.cpus')).toBe('0-1');
    expect(await read('kubepods/pod1/c1/memory.high')).toBe('50000000');

    await cgroups.apply('kubepods/pod1/c1', runtime.LinuxContainerResources.fromPartial({ cpuQuota: -1n }));
    expect(await read('kubepods/pod1/c1/cpu.max')).toBe('max 100000');
    await expect(cgroups.apply('kubepods/pod1/c1', runtime.LinuxContainerResources.fromPartial({ unified: { '../escape': '1' } }))).rejects.toThrow(/unsupported unified cgroup key/);

    await cgroups.join('kubepods/pod1/c1', 4242);
    expect(await read('kubepods/pod1/c1/cgroup.procs')).toBe('4242');
  });

  it('reads OOM kills from memory.events and usage from cpu.stat and memory files', async () => {
    const c = 'kubepods/pod1/c1';
    await writeFile(join(root, c, 'memory.events'), 'low 0\nhigh 3\nmax 7\noom 1\noom_kill 1\n');
    await writeFile(join(root, c, 'cpu.stat'), 'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n');
    await writeFile(join(root, c, 'memory.current'), '10485760\n');
    await writeFile(join(root, c, 'memory.stat'), 'anon 4194304\nfile 6291456\ninactive_file 2097152\npgfault 900\npgmajfault 3\n');
    await writeFile(join(root, c, 'pids.current'), '2\n');
    expect(await cgroups.oomKills(c)).toBe(1);
    expect(await cgroups.stats(c)).toEqual({
      cpuUsageNs: 2_500_000n,
      memoryUsageBytes: 10_485_760n,
      memoryWorkingSetBytes: 8_388_608n,
      memoryRssBytes: 4_194_304n,
      pageFaults: 900n,
      majorPageFaults: 3n,
      memoryLimitBytes: 64n << 20n,
      pids: 2n,
    });
  });
});
