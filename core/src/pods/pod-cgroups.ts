import { readFile, mkdir, rmdir, writeFile, readdir, access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod, QOSClass } from '@kernelet/sdk/common';
import { containerLimits, podLimits, podQOSClass, podRequests } from '@kernelet/sdk/common';
import type { Logger } from '../logging/logger.js';
import { MIN_SHARES, milliCPUToQuota, milliCPUToShares, milliValue, value } from '../cri/container-resources.js';

export interface CgroupOptions {
  cgroupsPerQOS: boolean;
  /** cgroupRoot, "/" by default. */
  cgroupRoot: string;
  cgroupDriver: 'cgroupfs' | 'systemd';
  /** podPidsLimit (-1: none). */
  podPidsLimit: number;
  cpuCFSQuota: boolean;
  cpuPeriodUs: number;
  /** Where the cgroup filesystems are mounted (tests point it elsewhere). */
  mountRoot?: string;
}

/** The pod's cgroup limits (upstream ResourceConfigForPod). */
export interface PodResourceConfig {
  cpuShares: number;
  /** 0: no quota (not every container has a cpu limit). */
  cpuQuota: number;
  cpuPeriod: number;
  /** 0: no limit (not every container has a memory limit). */
  memoryLimitBytes: number;
  pidsLimit: number;
}

export function podResourceConfig(pod: Pod, options: Pick<CgroupOptions, 'cpuCFSQuota' | 'cpuPeriodUs' | 'podPidsLimit'>): PodResourceConfig {
  const requests = podRequests(pod);
  // Summed and maxed as upstream PodLimits does (sidecars add to the app containers and to the init containers after them).
  const limits = podLimits(pod);
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  // A pod limit is set only when every container has one.
  const allCpu = containers.length > 0 && containers.every((c) => containerLimits(c).has('cpu'));
  const allMemory = containers.length > 0 && containers.every((c) => containerLimits(c).has('memory'));
  const cpuLimitMilli = milliValue(limits.get('cpu'));
  const memoryLimit = value(limits.get('memory'));
  const qos = podQOSClass(pod);
  return {
    cpuShares: qos === 'BestEffort' ? MIN_SHARES : milliCPUToShares(milliValue(requests.get('cpu'))),
    cpuQuota: options.cpuCFSQuota && allCpu ? milliCPUToQuota(cpuLimitMilli, options.cpuPeriodUs) : 0,
    cpuPeriod: options.cpuPeriodUs,
    memoryLimitBytes: allMemory ? memoryLimit : 0,
    pidsLimit: options.podPidsLimit > 0 ? options.podPidsLimit : 0,
  };
}

/** The pod's cgroup name, as a cgroupfs path: /kubepods[/burstable|/besteffort]/pod<uid>. */
export function podCgroupName(uid: string, qos: QOSClass, cgroupRoot: string): string {
  const base = join(cgroupRoot || '/', 'kubepods');
  const pod = `pod${uid}`;
  if (qos === 'Guaranteed') return join(base, pod);
  return join(base, qos === 'Burstable' ? 'burstable' : 'besteffort', pod);
}

/** The systemd slice name of a cgroupfs path: /kubepods/burstable/podX -> kubepods-burstable-podX.slice. */
export function systemdSliceName(path: string): string {
  const parts = path.split('/').filter(Boolean).map((p) => p.replace(/-/g, '_'));
  return parts.length === 0 ? '-.slice' : `${parts.join('-')}.slice`;
}

interface Hierarchy {
  /** Mount point of the hierarchy (v1: one per controller set; v2: the unified root). */
  mount: string;
  controllers: string[];
}

/**
 * The pod-level and QoS-level cgroups the kubelet owns (upstream podContainerManager and
 * qosContainerManager, cgroupfs driver): it creates /kubepods, /kubepods/burstable and
 * /kubepods/besteffort, and one cgroup per pod with the pod's cpu, memory and pids limits,
 * and removes a pod's cgroup when the pod is gone (runtimes remove only their containers').
 * With the systemd driver it only names the slices; systemd and the runtime create them.
 */
export class PodCgroups {
  private hierarchies: Hierarchy[] | undefined;
  private unified = false;

  constructor(
    private readonly options: CgroupOptions,
    private readonly logger: Logger,
  ) {}

  get enabled(): boolean {
    return this.options.cgroupsPerQOS;
  }

  /** The cgroup_parent for the pod's sandbox. */
  parentFor(pod: Pod): string {
    if (!this.options.cgroupsPerQOS) return this.options.cgroupRoot === '/' ? '' : this.options.cgroupRoot;
    const path = podCgroupName(pod.metadata?.uid ?? '', podQOSClass(pod), this.options.cgroupRoot);
    return this.options.cgroupDriver === 'systemd' ? systemdSliceName(path) : path;
  }

  /** Creates the QoS cgroups, with the node-allocatable limits on /kubepods when enforced. */
  async ensureQoSCgroups(kubepodsLimits: { cpuMilli: number; memoryBytes: number } | undefined): Promise<void> {
    if (!this.manages()) return;
    const base = join(this.options.cgroupRoot || '/', 'kubepods');
    await this.create(base);
    if (kubepodsLimits) await this.setLimits(base, { cpuShares: milliCPUToShares(kubepodsLimits.cpuMilli), cpuQuota: 0, cpuPeriod: this.options.cpuPeriodUs, memoryLimitBytes: kubepodsLimits.memoryBytes, pidsLimit: 0 });
    await this.create(join(base, 'burstable'));
    await this.create(join(base, 'besteffort'));
    await this.setLimits(join(base, 'besteffort'), { cpuShares: MIN_SHARES, cpuQuota: 0, cpuPeriod: this.options.cpuPeriodUs, memoryLimitBytes: 0, pidsLimit: 0 });
  }

  async ensurePodCgroup(pod: Pod): Promise<void> {
    if (!this.manages()) return;
    const path = podCgroupName(pod.metadata?.uid ?? '', podQOSClass(pod), this.options.cgroupRoot);
    await this.create(path);
    await this.setLimits(path, podResourceConfig(pod, this.options));
  }

  /** Removes the pod's cgroup in every hierarchy; false when something still runs in it. */
  async removePodCgroup(uid: string): Promise<boolean> {
    if (!this.manages()) return true;
    let ok = true;
    for (const qos of ['Guaranteed', 'Burstable', 'BestEffort'] as const) {
      const path = podCgroupName(uid, qos, this.options.cgroupRoot);
      for (const h of await this.detect()) {
        if (!(await this.removeTree(join(h.mount, path)))) ok = false;
      }
    }
    return ok;
  }

  /** UIDs of pods that have a cgroup (for cleaning up after pods the agent no longer knows). */
  async listPodCgroups(): Promise<Set<string>> {
    const uids = new Set<string>();
    if (!this.manages()) return uids;
    const h = (await this.detect()).find((x) => x.controllers.includes('memory') || x.controllers.includes('cpu')) ?? (await this.detect())[0];
    if (!h) return uids;
    const base = join(h.mount, this.options.cgroupRoot || '/', 'kubepods');
    for (const dir of [base, join(base, 'burstable'), join(base, 'besteffort')]) {
      for (const name of await readdir(dir).catch(() => [] as string[])) if (name.startsWith('pod')) uids.add(name.slice(3));
    }
    return uids;
  }

  private manages(): boolean {
    return this.options.cgroupsPerQOS && this.options.cgroupDriver === 'cgroupfs';
  }

  private async create(path: string): Promise<void> {
    await Promise.all(
      (await this.detect()).map(async (h) => {
        const dir = join(h.mount, path);
        try {
          // mkdir -p answers the first directory it made: undefined when the cgroup was there.
          const made = await mkdir(dir, { recursive: true });
          if (made !== undefined && !this.unified && h.controllers.includes('cpuset')) await this.inheritCpuset(h.mount, path, made);
        } catch (error) {
          this.logger.warn({ cgroup: dir, err: (error as Error).message }, 'cannot create cgroup');
        }
      }),
    );
  }

  /** New v1 cpuset cgroups are empty: copy cpus and mems from the parent, top down, from the first new level. */
  private async inheritCpuset(mount: string, path: string, firstMade: string): Promise<void> {
    const parts = path.split('/').filter(Boolean);
    const existing = firstMade.slice(mount.length).split('/').filter(Boolean).length - 1;
    for (let i = Math.max(1, existing + 1); i <= parts.length; i++) {
      const dir = join(mount, ...parts.slice(0, i));
      const parent = join(mount, ...parts.slice(0, i - 1));
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        const inherited = (await readFile(join(parent, file), 'utf8').catch(() => '')).trim();
        if (inherited !== '') await writeFile(join(dir, file), inherited).catch(() => undefined);
      }
    }
  }

  private async setLimits(path: string, config: PodResourceConfig): Promise<void> {
    const writes: [string, string, string][] = [];
    for (const h of await this.detect()) {
      const dir = join(h.mount, path);
      if (this.unified) {
        writes.push([dir, 'cpu.weight', String(Math.floor(1 + ((config.cpuShares - 2) * 9999) / 262142))]);
        writes.push([dir, 'cpu.max', config.cpuQuota > 0 ? `${config.cpuQuota} ${config.cpuPeriod}` : `max ${config.cpuPeriod}`]);
        writes.push([dir, 'memory.max', config.memoryLimitBytes > 0 ? String(config.memoryLimitBytes) : 'max']);
        if (config.pidsLimit > 0) writes.push([dir, 'pids.max', String(config.pidsLimit)]);
        continue;
      }
      if (h.controllers.includes('cpu')) {
        writes.push([dir, 'cpu.shares', String(config.cpuShares)]);
        // A new cgroup has period 100 ms and no quota: write them only when they differ.
        if (config.cpuQuota > 0 || config.cpuPeriod !== 100_000) {
          writes.push([dir, 'cpu.cfs_period_us', String(config.cpuPeriod)]);
          writes.push([dir, 'cpu.cfs_quota_us', config.cpuQuota > 0 ? String(config.cpuQuota) : '-1']);
        }
      }
      if (h.controllers.includes('memory') && config.memoryLimitBytes > 0) writes.push([dir, 'memory.limit_in_bytes', String(config.memoryLimitBytes)]);
      if (h.controllers.includes('pids') && config.pidsLimit > 0) writes.push([dir, 'pids.max', String(config.pidsLimit)]);
    }
    // In order within a cgroup (a quota must follow its period), hierarchies in parallel.
    const byDir = new Map<string, [string, string][]>();
    for (const [dir, file, text] of writes) byDir.set(dir, [...(byDir.get(dir) ?? []), [file, text]]);
    await Promise.all(
      [...byDir].map(async ([dir, files]) => {
        for (const [file, text] of files) {
          await writeFile(join(dir, file), text).catch((error: Error) => this.logger.debug({ cgroup: dir, file, err: error.message }, 'cannot set cgroup limit'));
        }
      }),
    );
  }

  /** rmdir children first; true when the directory is gone. */
  private async removeTree(dir: string): Promise<boolean> {
    let entries: { name: string; isDirectory(): boolean }[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return true;
    }
    let ok = true;
    for (const e of entries) if (e.isDirectory() && !(await this.removeTree(join(dir, e.name)))) ok = false;
    try {
      await rmdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') ok = false;
    }
    return ok;
  }

  private async detect(): Promise<Hierarchy[]> {
    if (this.hierarchies) return this.hierarchies;
    const root = this.options.mountRoot ?? '/sys/fs/cgroup';
    const found: Hierarchy[] = [];
    if (await exists(join(root, 'cgroup.controllers'))) {
      this.unified = true;
      found.push({ mount: root, controllers: (await readFile(join(root, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/) });
    } else {
      const mounts = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
      for (const line of mounts.split('\n')) {
        const [, mount, type, opts] = line.split(' ');
        if (type !== 'cgroup' || !mount?.startsWith(root)) continue;
        const controllers = (opts ?? '').split(',').filter((o) => !['rw', 'ro', 'relatime', 'nosuid', 'nodev', 'noexec', 'xattr'].includes(o) && !o.startsWith('release_agent'));
        found.push({ mount, controllers });
      }
    }
    this.hierarchies = found;
    return found;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
