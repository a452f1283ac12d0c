import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { runtime } from '@kernelet/proto';
import { CPUSet } from '@kernelet/sdk/common';
import type { Logger } from 'pino';
import { errnoCode, invalidArgument, messageOf } from './errors.js';
import { signalProcess } from './proc.js';

/** The controllers the runtime uses: limits (cpu, cpuset, memory) and accounting (cpuacct, pids). */
export const CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids'] as const;
export type Controller = (typeof CONTROLLERS)[number];

export interface CgroupSummary {
  version: 'v1' | 'v2' | 'none';
  /** The parent of containers whose sandbox names no cgroup_parent. */
  defaultParent: string;
  available: Controller[];
  /** Controller → why it is not used. */
  unavailable: Partial<Record<Controller, string>>;
}

/** Counters read from a container's cgroup; a field is absent when its controller is. */
export interface CgroupStats {
  cpuUsageNs?: bigint;
  memoryUsageBytes?: bigint;
  memoryWorkingSetBytes?: bigint;
  memoryRssBytes?: bigint;
  memoryLimitBytes?: bigint;
  pageFaults?: bigint;
  majorPageFaults?: bigint;
  pids?: bigint;
}

/** Where the unified hierarchy is mounted when the host runs cgroup v2 only. */
export const UNIFIED_ROOT = '/sys/fs/cgroup';
/** Above this a v1 memory limit means "no limit" (the kernel reports PAGE_COUNTER_MAX pages). */
const UNLIMITED = 1n << 62n;

/**
 * The cgroupfs driver: a container's cgroup is <parent>/<container id> in every available
 * controller (v1: one hierarchy per controller; v2: the unified hierarchy). A controller
 * whose hierarchy is missing or not writable is left out once, at detection, and
 * containers run without it.
 */
export class Cgroups {
  private readonly initialised = new Set<string>();
  private hierarchyCache: { mount: string; controllers: Controller[] }[] | undefined;

  private constructor(
    readonly version: 'v1' | 'v2' | 'none',
    /** Controller → hierarchy mount point (v2: all the same). */
    private readonly mounts: ReadonlyMap<Controller, string>,
    private readonly unavailableReasons: Partial<Record<Controller, string>>,
    readonly defaultParent: string,
    private readonly logger: Logger,
    private readonly unifiedRoot: string,
  ) {}

  /**
   * Reads the cgroup mounts from mountinfo: the unified hierarchy mounted at unifiedRoot
   * means v2; otherwise each v1 hierarchy found serves its controllers. Then probes each
   * hierarchy by creating the default parent in it.
   */
  static async detect(
    defaultParent: string,
    logger: Logger,
    { mountinfo = '/proc/self/mountinfo', unifiedRoot = UNIFIED_ROOT }: { mountinfo?: string; unifiedRoot?: string } = {},
  ): Promise<Cgroups> {
    const v2Root = unifiedRoot;
    const parent = normaliseCgroupPath(defaultParent);
    const unavailable: Partial<Record<Controller, string>> = {};
    const text = await readFile(mountinfo, 'utf8').catch(() => '');
    const v1 = new Map<Controller, string>();
    let unified = false;
    for (const line of text.split('\n')) {
      const fields = line.split(' ');
      const separator = fields.indexOf('-');
      if (separator < 0) continue;
      const mountPoint = unescapeMountPath(fields[4] ?? '');
      const fsType = fields[separator + 1];
      const superOptions = (fields[separator + 3] ?? '').split(',');
      if (fsType === 'cgroup2' && mountPoint === v2Root) unified = true;
      if (fsType !== 'cgroup') continue;
      for (const option of superOptions) {
        const controller = CONTROLLERS.find((c) => c === option);
        if (controller && !v1.has(controller)) v1.set(controller, mountPoint);
      }
    }

    let version: Cgroups['version'];
    const mounts = new Map<Controller, string>();
    if (unified) {
      version = 'v2';
      const enabled = (await readFile(join(v2Root, 'cgroup.controllers'), 'utf8').catch(() => '')).trim().split(/\s+/);
      for (const controller of CONTROLLERS) {
        // v2 has no cpuacct: cpu.stat carries the usage, and is there whenever the cgroup is.
        if (controller === 'cpuacct' || enabled.includes(controller)) mounts.set(controller, v2Root);
        else unavailable[controller] = `controller not enabled in ${v2Root}/cgroup.controllers`;
      }
    } else if (v1.size > 0) {
      version = 'v1';
      for (const controller of CONTROLLERS) {
        const mount = v1.get(controller);
        if (mount) mounts.set(controller, mount);
        else unavailable[controller] = 'no cgroup v1 hierarchy mounted for it';
      }
    } else {
      version = 'none';
      for (const controller of CONTROLLERS) unavailable[controller] = 'no cgroup filesystem mounted';
    }

    const cgroups = new Cgroups(version, mounts, unavailable, parent, logger, v2Root);
    await cgroups.probe();
    const summary = cgroups.summary();
    if (summary.available.length > 0) logger.info({ cgroups: summary }, 'cgroups detected');
    if (Object.keys(summary.unavailable).length > 0) {
      logger.warn({ unavailable: summary.unavailable }, 'running containers without some cgroup controllers');
    }
    return cgroups;
  }

  /** A cgroup-less manager, for hosts (or tests) that must not touch cgroups. */
  static disabled(defaultParent: string, logger: Logger, reason = 'disabled by configuration'): Cgroups {
    const unavailable: Partial<Record<Controller, string>> = {};
    for (const controller of CONTROLLERS) unavailable[controller] = reason;
    return new Cgroups('none', new Map(), unavailable, normaliseCgroupPath(defaultParent), logger, UNIFIED_ROOT);
  }

  summary(): CgroupSummary {
    return {
      version: this.version,
      defaultParent: this.defaultParent,
      available: [...this.mounts.keys()],
      unavailable: { ...this.unavailableReasons },
    };
  }

  has(controller: Controller): boolean {
    return this.mounts.has(controller);
  }

  get enabled(): boolean {
    return this.mounts.size > 0;
  }

  /** The directory of a cgroup in a controller's hierarchy. */
  dir(controller: Controller, relPath: string): string | undefined {
    const mount = this.mounts.get(controller);
    return mount === undefined ? undefined : join(mount, relPath);
  }

  /**
   * Creates relPath (and its missing ancestors) in every available hierarchy, initialising
   * cpusets (v1) and enabling controllers (v2) on the way down. Returns the ancestors it
   * had to create below the hierarchy roots, so their owner can remove them later.
   */
  async create(relPath: string): Promise<string[]> {
    const levels = ancestry(relPath);
    const created = new Set<string>();
    if (this.version === 'v2') await this.enableControllers(this.unifiedRoot);
    const createIn = async (hierarchy: { mount: string; controllers: Controller[] }) => {
      for (const level of levels) {
        const dir = join(hierarchy.mount, level);
        if (this.initialised.has(dir)) continue;
        const existed = await exists(dir);
        if (!existed) {
          await mkdir(dir).catch((err: unknown) => {
            if (errnoCode(err) !== 'EEXIST') throw err;
          });
          if (level !== relPath) created.add(level);
        }
        if (this.version === 'v1' && hierarchy.controllers.includes('cpuset')) await initCpuset(dir);
        if (this.version === 'v2' && level !== relPath) await this.enableControllers(dir);
        if (level !== relPath) this.initialised.add(dir);
      }
    };
    await Promise.all(
      this.hierarchies().map(async (hierarchy) => {
        try {
          await createIn(hierarchy);
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') throw err;
          // A parent this runtime saw before was removed behind its back: forget and redo.
          for (const level of levels) this.initialised.delete(join(hierarchy.mount, level));
          await createIn(hierarchy);
        }
      }),
    );
    return [...created];
  }

  /**
   * Writes the limits a container asks for. Zero (or empty) fields are left as they are,
   * as runc does on update; bad values fail with INVALID_ARGUMENT naming file and value.
   */
  async apply(relPath: string, resources: runtime.LinuxContainerResources | undefined): Promise<void> {
    if (!resources) return;
    const writes = this.version === 'v2' ? v2Writes(resources) : v1Writes(resources);
    // Files of one controller are written in order (period before quota, memory before
    // memsw); controllers in parallel.
    const byController = new Map<Controller, Write[]>();
    for (const write of writes) byController.set(write[0], [...(byController.get(write[0]) ?? []), write]);
    await Promise.all(
      [...byController.values()].map(async (group) => {
        for (const [controller, file, value] of group) {
          const dir = this.dir(controller, relPath);
          if (dir === undefined) continue;
          const path = join(dir, file);
          if (controller === 'memory' && file === 'memory.memsw.limit_in_bytes' && !(await exists(path))) continue;
          try {
            await writeFile(path, value);
          } catch (err) {
            if (controller === 'memory' && (file === 'memory.limit_in_bytes' || file === 'memory.memsw.limit_in_bytes')) {
              // memsw must stay >= the memory limit: when lowering both, the order matters.
              if (await this.retryMemoryPair(dir, resources)) continue;
            }
            throw invalidArgument(`cannot write ${value} to ${path}: ${messageOf(err)}`, { cause: err });
          }
        }
      }),
    );
  }

  /** Moves a process into the cgroup in every hierarchy (before it execs the container command). */
  async join(relPath: string, pid: number): Promise<void> {
    await Promise.all(this.hierarchies().map((hierarchy) => writeFile(join(hierarchy.mount, relPath, 'cgroup.procs'), String(pid))));
  }

  /** The pids in the cgroup (read from one hierarchy; all hierarchies hold the same set). */
  async pids(relPath: string): Promise<number[]> {
    const first = this.hierarchies()[0];
    if (!first) return [];
    const text = await readFile(join(first.mount, relPath, 'cgroup.procs'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map(Number);
  }

  /** SIGKILLs every process left in the cgroup, including ones that left the process group. */
  async killAll(relPath: string): Promise<void> {
    if (this.version === 'v2') {
      const killed = await writeFile(join(this.unifiedRoot, relPath, 'cgroup.kill'), '1').then(
        () => true,
        () => false,
      );
      if (killed) return;
    }
    for (const pid of await this.pids(relPath)) signalProcess(pid, 'SIGKILL');
  }

  /** How many times the kernel OOM killer has killed a process in this cgroup. */
  async oomKills(relPath: string): Promise<number> {
    const dir = this.dir('memory', relPath);
    if (dir === undefined) return 0;
    const file = this.version === 'v2' ? 'memory.events' : 'memory.oom_control';
    const text = await readFile(join(dir, file), 'utf8').catch(() => '');
    return Number(keyedValues(text).get('oom_kill') ?? 0);
  }

  async stats(relPath: string): Promise<CgroupStats> {
    const stats: CgroupStats = {};
    const read = (controller: Controller, file: string) => {
      const dir = this.dir(controller, relPath);
      return dir === undefined ? Promise.resolve(undefined) : readFile(join(dir, file), 'utf8').catch(() => undefined);
    };
    if (this.version === 'v2') {
      const [cpu, current, memStat, max, pids] = await Promise.all([
        read('cpu', 'cpu.stat'),
        read('memory', 'memory.current'),
        read('memory', 'memory.stat'),
        read('memory', 'memory.max'),
        read('pids', 'pids.current'),
      ]);
      const usec = cpu === undefined ? undefined : keyedValues(cpu).get('usage_usec');
      if (usec !== undefined) stats.cpuUsageNs = BigInt(usec) * 1000n;
      if (current !== undefined) {
        const usage = BigInt(current.trim());
        const mem = keyedValues(memStat ?? '');
        stats.memoryUsageBytes = usage;
        stats.memoryWorkingSetBytes = clampSub(usage, BigInt(mem.get('inactive_file') ?? '0'));
        stats.memoryRssBytes = BigInt(mem.get('anon') ?? '0');
        stats.pageFaults = BigInt(mem.get('pgfault') ?? '0');
        stats.majorPageFaults = BigInt(mem.get('pgmajfault') ?? '0');
        if (max !== undefined && max.trim() !== 'max') stats.memoryLimitBytes = BigInt(max.trim());
      }
      if (pids !== undefined) stats.pids = BigInt(pids.trim());
      return stats;
    }
    const [usage, memUsage, memStat, limit, pids] = await Promise.all([
      read('cpuacct', 'cpuacct.usage'),
      read('memory', 'memory.usage_in_bytes'),
      read('memory', 'memory.stat'),
      read('memory', 'memory.limit_in_bytes'),
      read('pids', 'pids.current'),
    ]);
    if (usage !== undefined) stats.cpuUsageNs = BigInt(usage.trim());
    if (memUsage !== undefined) {
      const bytes = BigInt(memUsage.trim());
      const mem = keyedValues(memStat ?? '');
      stats.memoryUsageBytes = bytes;
      stats.memoryWorkingSetBytes = clampSub(bytes, BigInt(mem.get('total_inactive_file') ?? '0'));
      stats.memoryRssBytes = BigInt(mem.get('total_rss') ?? '0');
      stats.pageFaults = BigInt(mem.get('total_pgfault') ?? '0');
      stats.majorPageFaults = BigInt(mem.get('total_pgmajfault') ?? '0');
      if (limit !== undefined && BigInt(limit.trim()) < UNLIMITED) stats.memoryLimitBytes = BigInt(limit.trim());
    }
    if (pids !== undefined) stats.pids = BigInt(pids.trim());
    return stats;
  }

  /** Removes the cgroup from every hierarchy; a cgroup still holding processes is retried briefly. */
  async remove(relPath: string): Promise<void> {
    for (const hierarchy of this.hierarchies()) {
      const dir = join(hierarchy.mount, relPath);
      for (let attempt = 0; ; attempt++) {
        try {
          await rmdir(dir);
          break;
        } catch (err) {
          const code = errnoCode(err);
          if (code === 'ENOENT') break;
          if (code === 'EBUSY' && attempt < 20) {
            await this.killAll(relPath);
            await delay(25);
            continue;
          }
          this.logger.warn({ err, dir }, 'cannot remove cgroup');
          break;
        }
      }
    }
  }

  /** Removes ancestors created by create(), deepest first, if nothing else uses them. */
  async removeCreatedAncestors(levels: readonly string[]): Promise<void> {
    const deepestFirst = [...levels].sort((a, b) => b.length - a.length);
    for (const hierarchy of this.hierarchies()) {
      for (const level of deepestFirst) {
        const dir = join(hierarchy.mount, level);
        await rmdir(dir).then(
          () => this.initialised.delete(dir),
          () => undefined,
        );
      }
    }
  }

  /** Distinct mount points (co-mounted v1 controllers such as cpu,cpuacct share one), with their controllers. */
  private hierarchies(): { mount: string; controllers: Controller[] }[] {
    if (this.hierarchyCache) return this.hierarchyCache;
    const byMount = new Map<string, Controller[]>();
    for (const [controller, mount] of this.mounts) byMount.set(mount, [...(byMount.get(mount) ?? []), controller]);
    this.hierarchyCache = [...byMount].map(([mount, controllers]) => ({ mount, controllers }));
    return this.hierarchyCache;
  }

  private async enableControllers(dir: string): Promise<void> {
    const wanted = ['cpu', 'cpuset', 'memory', 'pids'].filter((c) => this.mounts.has(c as Controller));
    if (wanted.length === 0) return;
    await writeFile(join(dir, 'cgroup.subtree_control'), wanted.map((c) => `+${c}`).join(' ')).catch((err: unknown) => {
      this.logger.debug({ err, dir }, 'cannot enable cgroup controllers');
    });
  }

  /** Checks each hierarchy by creating the default parent in it; a failure drops its controllers. */
  private async probe(): Promise<void> {
    const mounts = this.mounts as Map<Controller, string>;
    try {
      await this.probeHierarchies(mounts);
    } finally {
      this.hierarchyCache = undefined;
    }
  }

  private async probeHierarchies(mounts: Map<Controller, string>): Promise<void> {
    for (const hierarchy of this.hierarchies()) {
      try {
        for (const level of ancestry(this.defaultParent)) {
          const dir = join(hierarchy.mount, level);
          await mkdir(dir).catch((err: unknown) => {
            if (errnoCode(err) !== 'EEXIST') throw err;
          });
          if (this.version === 'v1' && hierarchy.controllers.includes('cpuset')) await initCpuset(dir);
          if (this.version === 'v2') await this.enableControllers(join(dir, '..'));
        }
        if (this.version === 'v2') await this.enableControllers(join(hierarchy.mount, this.defaultParent));
      } catch (err) {
        for (const controller of hierarchy.controllers) {
          mounts.delete(controller);
          this.unavailableReasons[controller] = `cannot create ${join(hierarchy.mount, this.defaultParent)}: ${messageOf(err)}`;
        }
      }
    }
    if (this.version === 'v2') {
      // A controller enabled at the root but not delegated down to our parent cannot be used.
      const delegated = (await readFile(join(this.unifiedRoot, this.defaultParent, 'cgroup.controllers'), 'utf8').catch(() => ''))
        .trim()
        .split(/\s+/);
      for (const controller of ['cpu', 'cpuset', 'memory', 'pids'] as const) {
        if (mounts.has(controller) && !delegated.includes(controller)) {
          mounts.delete(controller);
          this.unavailableReasons[controller] = `not delegated to ${join(this.unifiedRoot, this.defaultParent)}`;
        }
      }
    }
  }

  private async retryMemoryPair(dir: string, resources: runtime.LinuxContainerResources): Promise<boolean> {
    const memsw = join(dir, 'memory.memsw.limit_in_bytes');
    if (resources.memorySwapLimitInBytes <= 0n || !(await exists(memsw))) return false;
    try {
      await writeFile(memsw, resources.memorySwapLimitInBytes.toString());
      if (resources.memoryLimitInBytes > 0n) await writeFile(join(dir, 'memory.limit_in_bytes'), resources.memoryLimitInBytes.toString());
      return true;
    } catch {
      return false;
    }
  }
}

/** Cgroup paths are relative to each hierarchy root: "/kubepods/pod1" → "kubepods/pod1"; ".." is refused. */
export function normaliseCgroupPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw invalidArgument(`invalid cgroup path "${path}": ".." is not allowed`);
  return parts.join('/');
}

type Write = [Controller, string, string];

function v1Writes(r: runtime.LinuxContainerResources): Write[] {
  const writes: Write[] = [];
  if (r.cpuShares > 0n) writes.push(['cpu', 'cpu.shares', String(r.cpuShares < 2n ? 2n : r.cpuShares)]);
  if (r.cpuPeriod > 0n) writes.push(['cpu', 'cpu.cfs_period_us', String(r.cpuPeriod)]);
  if (r.cpuQuota !== 0n) writes.push(['cpu', 'cpu.cfs_quota_us', String(r.cpuQuota)]);
  if (r.memoryLimitInBytes !== 0n) writes.push(['memory', 'memory.limit_in_bytes', String(r.memoryLimitInBytes)]);
  if (r.memorySwapLimitInBytes !== 0n) writes.push(['memory', 'memory.memsw.limit_in_bytes', String(r.memorySwapLimitInBytes)]);
  writes.push(...cpusetWrites(r));
  return writes;
}

function v2Writes(r: runtime.LinuxContainerResources): Write[] {
  const writes: Write[] = [];
  if (r.cpuShares > 0n) writes.push(['cpu', 'cpu.weight', String(sharesToWeight(r.cpuShares))]);
  if (r.cpuQuota !== 0n || r.cpuPeriod > 0n) {
    const period = r.cpuPeriod > 0n ? r.cpuPeriod : 100_000n;
    writes.push(['cpu', 'cpu.max', `${r.cpuQuota > 0n ? String(r.cpuQuota) : 'max'} ${period}`]);
  }
  if (r.memoryLimitInBytes !== 0n) writes.push(['memory', 'memory.max', r.memoryLimitInBytes < 0n ? 'max' : String(r.memoryLimitInBytes)]);
  if (r.memorySwapLimitInBytes > 0n && r.memoryLimitInBytes > 0n) {
    const swap = r.memorySwapLimitInBytes - r.memoryLimitInBytes;
    writes.push(['memory', 'memory.swap.max', String(swap < 0n ? 0n : swap)]);
  }
  writes.push(...cpusetWrites(r));
  for (const [key, value] of Object.entries(r.unified)) {
    const controller = CONTROLLERS.find((c) => key.startsWith(`${c}.`));
    if (!controller || key.includes('/')) throw invalidArgument(`unsupported unified cgroup key "${key}"`);
    writes.push([controller, key, value]);
  }
  return writes;
}

function cpusetWrites(r: runtime.LinuxContainerResources): Write[] {
  const writes: Write[] = [];
  for (const [file, value] of [
    ['cpuset.cpus', r.cpusetCpus],
    ['cpuset.mems', r.cpusetMems],
  ] as const) {
    if (value === '') continue;
    try {
      CPUSet.parse(value);
    } catch (err) {
      throw invalidArgument(`invalid ${file} "${value}": ${messageOf(err)}`, { cause: err });
    }
    writes.push(['cpuset', file, value]);
  }
  return writes;
}

/** The conversion runc and the kubelet use: shares 2..262144 onto weight 1..10000. */
export function sharesToWeight(shares: bigint): bigint {
  if (shares <= 2n) return 1n;
  if (shares >= 262_144n) return 10_000n;
  return 1n + ((shares - 2n) * 9999n) / 262_142n;
}

/** v1 cpusets start empty and refuse tasks until cpus and mems are set: copy them from the parent. */
async function initCpuset(dir: string): Promise<void> {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const current = (await readFile(join(dir, file), 'utf8')).trim();
    if (current !== '') continue;
    const parent = (await readFile(join(dir, '..', file), 'utf8')).trim();
    await writeFile(join(dir, file), parent);
  }
}

/** "a", "a/b", "a/b/c" for "a/b/c". */
function ancestry(relPath: string): string[] {
  const parts = relPath.split('/').filter((p) => p !== '');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

function keyedValues(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined) values.set(key, value.trim());
  }
  return values;
}

function clampSub(a: bigint, b: bigint): bigint {
  return a > b ? a - b : 0n;
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
