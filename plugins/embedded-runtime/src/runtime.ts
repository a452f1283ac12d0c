import { randomBytes } from 'node:crypto';
import { close, constants as fsConstants, open, readFileSync } from 'node:fs';
import { mkdir, open as openFile, stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { dirname, isAbsolute, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { status as grpcStatus } from '@grpc/grpc-js';
import { runtime } from '@kernelet/proto';
import type { Logger } from 'pino';
import { Cgroups, normaliseCgroupPath, type CgroupStats } from './cgroups.js';
import { nowNs } from './clock.js';
import { checkExecutable, processSpec } from './container-spec.js';
import { CriLineSplitter, CriLogWriter, type LogStream } from './cri-log.js';
import { alreadyExists, CriError, errnoCode, failedPrecondition, invalidArgument, messageOf, notFound } from './errors.js';
import type { ContainerEventKind, RuntimeEvent, RuntimeEventListener } from './events.js';
import { findHostTools, type HostTools } from './host-tools.js';
import { FifoPool } from './fifo-pool.js';
import { isImageId, parseImageRef } from './image-ref.js';
import { ImageStore, type ResolvedImage } from './image-store.js';
import { KeyedMutex } from './keyed-mutex.js';
import { HeldProcess, type LaunchSpec, type RawExit } from './launch.js';
import { bootId, isSameLiveProcess, readProcStat, signalProcessGroup } from './proc.js';
import type { BindMount, ContainerRecord, ContainerState, SandboxRecord } from './records.js';
import { secureJoin } from './secure-join.js';
import { exitCodeForSignal, stopSignalFor, toNodeSignal } from './signals.js';
import { StateStore } from './state-store.js';

const openFd = promisify(open);
const closeFd = promisify(close);

export const RUNTIME_NAME = 'kernelet-embedded';
export const RUNTIME_API_VERSION = 'v1';
/** How long to wait for a container's output to drain after its process exits. */
const DRAIN_MS = 2000;
/** How often processes adopted from a previous runtime are checked for exit. */
const ADOPTED_POLL_MS = 1000;
const EXEC_OUTPUT_LIMIT = 2 * 1024 * 1024;

export interface RuntimeOptions {
  rootDir: string;
  logger: Logger;
  /** Parent cgroup of containers whose sandbox names none (default "kernelet"). */
  cgroupRoot?: string;
  /** "off" runs every container without cgroups. */
  cgroups?: 'auto' | 'off';
  /** Host tools; found on PATH when absent. */
  tools?: HostTools;
}

export interface SandboxFilter {
  id?: string;
  state?: 'ready' | 'notready';
  labels?: Record<string, string>;
}

export interface ContainerFilter {
  id?: string;
  sandboxId?: string;
  state?: ContainerState;
  labels?: Record<string, string>;
}

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface ContainerUsage {
  timestamp: bigint;
  cgroup: CgroupStats;
  /** Average cores used since the previous sample (nanocores), when there was one. */
  nanoCores: bigint | undefined;
}

/** What the runtime holds for a container whose process it watches. */
interface Live {
  adopted: boolean;
  writer: CriLogWriter;
  readers: Socket[];
  readersDone: Promise<void>;
  exited: Promise<void>;
  markExited: () => void;
  finishing: boolean;
}

/**
 * The embedded runtime's domain: pod sandboxes (records with a log directory and a
 * cgroup parent; every pod shares the host's namespaces) and containers run as host
 * processes, each the leader of its own process group, optionally chrooted into an
 * image rootfs, in its own cgroups, with output written as CRI logs. State is persisted
 * so a restarted runtime lists everything and re-adopts processes that still run.
 */
export class EmbeddedRuntime {
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly live = new Map<string, Live>();
  /** Reserved sandbox and container names → id, as CRI requires names to be unique. */
  private readonly names = new Map<string, string>();
  private readonly mutex = new KeyedMutex();
  private readonly listeners = new Set<RuntimeEventListener>();
  private readonly cpuSamples = new Map<string, { usage: bigint; at: bigint }>();
  private adoptedTimer: NodeJS.Timeout | undefined;
  private closing = false;

  private constructor(
    readonly rootDir: string,
    private readonly logger: Logger,
    readonly cgroups: Cgroups,
    private readonly tools: HostTools,
    readonly images: ImageStore,
    private readonly state: StateStore,
    private readonly fifos: FifoPool,
    private readonly bootId: string,
  ) {}

  static async open(options: RuntimeOptions): Promise<EmbeddedRuntime> {
    const logger = options.logger;
    const cgroupRoot = options.cgroupRoot ?? 'kernelet';
    const cgroups =
      options.cgroups === 'off' ? Cgroups.disabled(cgroupRoot, logger) : await Cgroups.detect(cgroupRoot, logger);
    const tools = options.tools ?? (await findHostTools());
    await mkdir(options.rootDir, { recursive: true, mode: 0o711 });
    const images = new ImageStore(join(options.rootDir, 'images'), logger);
    await images.init();
    const state = new StateStore(join(options.rootDir, 'state'), logger);
    await state.init();
    const fifos = new FifoPool(join(options.rootDir, 'state', 'fifo-pool'), tools.mkfifo);
    await fifos.init();
    const rt = new EmbeddedRuntime(options.rootDir, logger, cgroups, tools, images, state, fifos, await bootId());
    await rt.restore();
    return rt;
  }

  // ---- events

  onEvent(listener: RuntimeEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(kind: ContainerEventKind, containerId: string, sandboxId: string): void {
    if (this.listeners.size === 0) return;
    const sandbox = this.sandboxes.get(sandboxId);
    const event: RuntimeEvent = {
      kind,
      containerId,
      createdAt: nowNs(),
      sandbox: sandbox && { ...sandbox },
      containers: this.containersOf(sandboxId).map((c) => ({ ...c })),
    };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.warn({ err }, 'event listener failed');
      }
    }
  }

  // ---- sandboxes

  async runPodSandbox(config: runtime.PodSandboxConfig, runtimeHandler: string): Promise<SandboxRecord> {
    const metadata = config.metadata;
    if (!metadata || metadata.name === '' || metadata.namespace === '' || metadata.uid === '') {
      throw invalidArgument('sandbox config needs metadata with name, namespace and uid');
    }
    if (runtimeHandler !== '' && runtimeHandler !== RUNTIME_NAME) {
      throw invalidArgument(`runtime handler "${runtimeHandler}" is not supported: the embedded runtime has only the default handler`);
    }
    const name = `k8s_POD_${metadata.name}_${metadata.namespace}_${metadata.uid}_${metadata.attempt}`;
    const id = newId();
    this.reserveName(name, id);
    try {
      const cgroupParent = normaliseCgroupPath(config.linux?.cgroupParent ?? '');
      if (config.logDirectory !== '') {
        if (!isAbsolute(config.logDirectory)) throw invalidArgument(`log_directory "${config.logDirectory}" must be absolute`);
        await mkdir(config.logDirectory, { recursive: true, mode: 0o755 });
      }
      const record: SandboxRecord = {
        id,
        name,
        metadata: { ...metadata },
        state: 'ready',
        createdAt: nowNs(),
        labels: { ...config.labels },
        annotations: { ...config.annotations },
        logDirectory: config.logDirectory,
        cgroupParent,
        createdCgroupDirs: [],
        runtimeHandler,
        ignored: ignoredSandboxSettings(config),
      };
      await this.state.saveSandbox(record);
      this.sandboxes.set(id, record);
      if (record.ignored.length > 0) {
        this.logger.info({ podSandboxId: id, pod: `${metadata.namespace}/${metadata.name}`, ignored: record.ignored }, 'sandbox shares the host; settings ignored');
      }
      this.emit('created', id, id);
      this.emit('started', id, id);
      return record;
    } catch (err) {
      this.names.delete(name);
      throw err;
    }
  }

  /** Stops every container of the sandbox at once (the agent has already stopped them gracefully). Idempotent. */
  async stopPodSandbox(id: string): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) return;
    await Promise.all(this.containersOf(id).map((c) => this.stopContainer(c.id, 0)));
    if (sandbox.state !== 'notready') {
      sandbox.state = 'notready';
      await this.state.saveSandbox(sandbox);
      this.emit('stopped', id, id);
    }
  }

  /** Removes the sandbox with its containers (stopping them first). Idempotent. */
  async removePodSandbox(id: string): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) return;
    await Promise.all(this.containersOf(id).map((c) => this.removeContainer(c.id)));
    await this.cgroups.removeCreatedAncestors(sandbox.createdCgroupDirs);
    await this.state.removeSandbox(id);
    this.emit('deleted', id, id);
    this.sandboxes.delete(id);
    this.names.delete(sandbox.name);
  }

  sandbox(id: string): SandboxRecord {
    const sandbox = this.sandboxes.get(id) ?? this.byPrefix(this.sandboxes, id);
    if (!sandbox) throw notFound(`pod sandbox "${id}" not found`);
    return sandbox;
  }

  listSandboxes(filter: SandboxFilter = {}): SandboxRecord[] {
    return [...this.sandboxes.values()].filter(
      (s) =>
        (filter.id === undefined || s.id.startsWith(filter.id)) &&
        (filter.state === undefined || s.state === filter.state) &&
        matchesLabels(s.labels, filter.labels),
    );
  }

  containersOf(sandboxId: string): ContainerRecord[] {
    return [...this.containers.values()].filter((c) => c.sandboxId === sandboxId);
  }

  // ---- containers

  async createContainer(sandboxId: string, config: runtime.ContainerConfig): Promise<ContainerRecord> {
    const metadata = config.metadata;
    if (!metadata || metadata.name === '') throw invalidArgument('container config needs metadata with a name');
    if (!config.image || config.image.image === '') throw invalidArgument('container config needs an image');
    const sandbox = this.sandbox(sandboxId);
    if (sandbox.state !== 'ready') throw failedPrecondition(`pod sandbox ${sandbox.id} is not ready`);
    const sm = sandbox.metadata;
    const name = `k8s_${metadata.name}_${sm.name}_${sm.namespace}_${sm.uid}_${metadata.attempt}`;
    const id = newId();
    this.reserveName(name, id);
    const containerDir = this.state.containerDir(id);
    let cgroup = '';
    try {
      // The agent names the image by the id ImageStatus or PullImage gave it, with the
      // name from the pod spec in user_specified_image.
      const image =
        (await this.images.resolve(config.image.image)) ??
        (config.image.userSpecifiedImage !== '' ? await this.images.resolve(config.image.userSpecifiedImage) : undefined);
      if (!image) throw notFound(`image "${config.image.image}" not found`);
      if (image.source === 'host') await this.images.rememberHostRef(image.repoTags[0] ?? config.image.image);
      const chroot = image.rootfs !== '/';
      if (chroot && process.getuid?.() !== 0) {
        throw failedPrecondition(`image "${config.image.image}" has a rootfs (${image.rootfs}); running it needs root (chroot and mounts)`);
      }
      const spec = await processSpec(config, image);
      const stopSignal = stopSignalFor(config.stopSignal, image.config.stopSignal);
      const resources = runtime.LinuxContainerResources.fromPartial(config.linux?.resources ?? {});
      const readonlyRootfs = config.linux?.securityContext?.readonlyRootfs ?? false;
      const bindMounts = chroot ? await this.prepareRootfs(image, config.mounts) : [];
      if (!chroot && config.mounts.length > 0) {
        this.logger.debug({ containerId: id, mounts: config.mounts.length }, 'host-root container: mounts are not applied');
      }
      const logPath = this.logPathFor(sandbox, config.logPath);

      if (this.cgroups.enabled) {
        cgroup = posix.join(sandbox.cgroupParent || this.cgroups.defaultParent, id);
        const created = await this.cgroups.create(cgroup);
        if (created.length > 0) {
          sandbox.createdCgroupDirs = [...new Set([...sandbox.createdCgroupDirs, ...created])];
          await this.state.saveSandbox(sandbox);
        }
        await this.cgroups.apply(cgroup, resources);
      }
      await mkdir(containerDir, { recursive: true, mode: 0o700 });
      await this.fifos.take(containerDir);

      const record: ContainerRecord = {
        id,
        sandboxId: sandbox.id,
        name,
        metadata: { ...metadata },
        imageSpec: runtime.ImageSpec.fromPartial({ ...config.image, image: imageName(image, config.image) }),
        imageId: image.id,
        imageRef: image.repoDigests[0] ?? image.id,
        rootfs: image.rootfs,
        argv: spec.argv,
        env: spec.env,
        workingDir: spec.workingDir,
        user: spec.user,
        mounts: chroot ? config.mounts : [],
        bindMounts,
        readonlyRootfs: chroot && readonlyRootfs,
        logPath,
        labels: { ...config.labels },
        annotations: { ...config.annotations },
        resources,
        stopSignal,
        cgroup,
        state: 'created',
        createdAt: nowNs(),
        startedAt: 0n,
        finishedAt: 0n,
        exitCode: 0,
        reason: '',
        message: '',
        pid: 0,
        pidStartTime: '',
        bootId: '',
      };
      await this.state.saveContainer(record);
      this.containers.set(id, record);
      this.emit('created', id, sandbox.id);
      return record;
    } catch (err) {
      this.names.delete(name);
      if (cgroup !== '') await this.cgroups.remove(cgroup);
      await this.state.removeContainer(id);
      throw err;
    }
  }

  async startContainer(id: string): Promise<void> {
    const c = this.container(id);
    await this.mutex.run(c.id, async () => {
      if (c.state !== 'created') throw failedPrecondition(`container ${c.id} is ${c.state}; only a created container can be started`);
      const sandbox = this.sandboxes.get(c.sandboxId);
      if (!sandbox || sandbox.state !== 'ready') throw failedPrecondition(`pod sandbox ${c.sandboxId} of container ${c.id} is not ready`);
      try {
        await checkExecutable(c, (path) => hostPathOf(c, path), c.rootfs);
        if (c.workingDir !== '/') await this.ensureWorkingDir(c);
      } catch (err) {
        await this.markStartFailed(c, messageOf(err));
        throw err;
      }
      let writer: CriLogWriter;
      try {
        writer = await CriLogWriter.open(c.logPath, this.logger);
      } catch (err) {
        await this.markStartFailed(c, `cannot open log ${c.logPath}: ${messageOf(err)}`);
        throw failedPrecondition(`cannot open log file ${c.logPath} of container ${c.id}: ${messageOf(err)}`, { cause: err });
      }
      const dir = this.state.containerDir(c.id);
      const fds: number[] = [];
      let held: HeldProcess;
      const readers: Socket[] = [];
      try {
        const out = join(dir, 'stdout');
        const errPath = join(dir, 'stderr');
        // The container holds its FIFOs open read-write, so its writes never fail with
        // EPIPE while no runtime reads them (after a runtime crash they wait in the pipe).
        fds.push(await openFd(out, fsConstants.O_RDWR), await openFd(errPath, fsConstants.O_RDWR));
        const outReader = await openFd(out, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
        const errReader = await openFd(errPath, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
        readers.push(new Socket({ fd: outReader, readable: true, writable: false }), new Socket({ fd: errReader, readable: true, writable: false }));
        held = await HeldProcess.spawn(this.launchSpec(c), this.tools, fds[0] as number, fds[1] as number);
      } catch (err) {
        await Promise.all(fds.map((fd) => closeFd(fd).catch(() => undefined)));
        for (const reader of readers) reader.destroy();
        await writer.close();
        await this.markStartFailed(c, messageOf(err));
        throw new CriError(grpcStatus.INTERNAL, `cannot start container ${c.id}: ${messageOf(err)}`, { cause: err });
      }
      await Promise.all(fds.map((fd) => closeFd(fd).catch(() => undefined)));
      const live = this.watch(c, writer, readers, false);
      try {
        if (c.cgroup !== '') await this.cgroups.join(c.cgroup, held.pid);
        if (c.resources.oomScoreAdj !== 0n) await raiseOomScoreAdj(held.pid, Number(c.resources.oomScoreAdj));
        const procStat = await readProcStat(held.pid);
        c.pid = held.pid;
        c.pidStartTime = procStat?.startTime ?? '';
        c.bootId = this.bootId;
        c.state = 'running';
        c.startedAt = nowNs();
        await this.state.saveContainer(c);
        await held.release();
      } catch (err) {
        signalProcessGroup(held.pid, 'SIGKILL');
        await held.exit;
        held.detach();
        await this.finish(c, live, { startError: messageOf(err) });
        throw failedPrecondition(`cannot start container ${c.id}: ${messageOf(err)}`, { cause: err });
      }
      held.detach();
      this.background(held.exit.then((raw) => this.finish(c, live, raw)), 'recording the container exit failed', c.id);
      this.emit('started', c.id, c.sandboxId);
    });
  }

  /**
   * Sends the stop signal to the container's process group, then SIGKILL to the group and
   * its cgroup after timeoutSec (at once for 0), and waits until it has exited. A later
   * call with a shorter timeout escalates sooner. Idempotent for a container not running.
   */
  async stopContainer(id: string, timeoutSec: number): Promise<void> {
    const c = this.container(id);
    const live = this.live.get(c.id);
    if (c.state !== 'running' || !live) return;
    let timer: NodeJS.Timeout | undefined;
    if (timeoutSec <= 0) await this.killContainer(c);
    else {
      await this.signalContainer(c, toNodeSignal(c.stopSignal));
      timer = setTimeout(() => this.background(this.killContainer(c), 'killing the container failed', c.id), Math.min(timeoutSec * 1000, 2 ** 31 - 1));
    }
    try {
      await live.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Removes the container, killing it first if it runs. Idempotent. */
  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id) ?? this.byPrefix(this.containers, id);
    if (!c) return;
    await this.mutex.run(c.id, async () => {
      if (!this.containers.has(c.id)) return;
      await this.stopContainer(c.id, 0);
      if (c.cgroup !== '') await this.cgroups.remove(c.cgroup);
      await this.state.removeContainer(c.id);
      this.containers.delete(c.id);
      this.names.delete(c.name);
      this.cpuSamples.delete(c.id);
      this.emit('deleted', c.id, c.sandboxId);
    });
  }

  container(id: string): ContainerRecord {
    const c = this.containers.get(id) ?? this.byPrefix(this.containers, id);
    if (!c) throw notFound(`container "${id}" not found`);
    return c;
  }

  listContainers(filter: ContainerFilter = {}): ContainerRecord[] {
    return [...this.containers.values()].filter(
      (c) =>
        (filter.id === undefined || c.id.startsWith(filter.id)) &&
        (filter.sandboxId === undefined || c.sandboxId.startsWith(filter.sandboxId)) &&
        (filter.state === undefined || c.state === filter.state) &&
        matchesLabels(c.labels, filter.labels),
    );
  }

  /** Writes new limits to the container's cgroup and records them. */
  async updateContainerResources(id: string, resources: runtime.LinuxContainerResources): Promise<void> {
    const c = this.container(id);
    await this.mutex.run(c.id, async () => {
      if (c.state !== 'created' && c.state !== 'running') throw failedPrecondition(`container ${c.id} is ${c.state}; its resources cannot be updated`);
      if (c.cgroup !== '') await this.cgroups.apply(c.cgroup, resources);
      else this.logger.warn({ containerId: c.id }, 'no cgroup controllers available: resources recorded but not enforced');
      c.resources = mergeResources(c.resources, resources);
      await this.state.saveContainer(c);
    });
  }

  /** Starts a new log file at the container's log path (after the agent renamed the old one). */
  async reopenContainerLog(id: string): Promise<void> {
    const c = this.container(id);
    const live = this.live.get(c.id);
    if (c.state !== 'running' || !live) throw failedPrecondition(`container ${c.id} is not running`);
    try {
      await live.writer.reopen();
    } catch (err) {
      throw failedPrecondition(`cannot reopen log ${c.logPath}: ${messageOf(err)}`, { cause: err });
    }
  }

  /**
   * Runs a command in the container's context (rootfs and mounts, working dir, env, user,
   * cgroups) and collects its output (at most 2 MiB per stream). On timeout the command's
   * process group is killed and DEADLINE_EXCEEDED returned.
   */
  async execSync(id: string, cmd: readonly string[], timeoutSec: number): Promise<ExecResult> {
    const c = this.container(id);
    if (cmd.length === 0) throw invalidArgument('ExecSync needs a command');
    if (c.state !== 'running') throw failedPrecondition(`container ${c.id} is not running`);
    const spec: LaunchSpec = {
      argv: cmd,
      env: c.env,
      rootfs: c.rootfs,
      workingDir: c.workingDir,
      user: c.user,
      ...(c.rootfs !== '/' ? { joinMountNamespaceOf: c.pid } : {}),
    };
    const held = await HeldProcess.spawn(spec, this.tools, 'pipe', 'pipe').catch((err: unknown) => {
      throw new CriError(grpcStatus.INTERNAL, `cannot exec in container ${c.id}: ${messageOf(err)}`, { cause: err });
    });
    const stdout = collect(held.child.stdout);
    const stderr = collect(held.child.stderr);
    let timedOut = false;
    const timer =
      timeoutSec > 0
        ? setTimeout(() => {
            timedOut = true;
            signalProcessGroup(held.pid, 'SIGKILL');
          }, Math.min(timeoutSec * 1000, 2 ** 31 - 1))
        : undefined;
    try {
      if (c.cgroup !== '') await this.cgroups.join(c.cgroup, held.pid);
      await held.release();
    } catch (err) {
      clearTimeout(timer);
      signalProcessGroup(held.pid, 'SIGKILL');
      await held.exit;
      throw new CriError(grpcStatus.UNKNOWN, `cannot exec in container ${c.id}: ${messageOf(err)}`, { cause: err });
    } finally {
      held.detach();
    }
    const raw = await held.exit;
    clearTimeout(timer);
    const [out, err] = await Promise.all([stdout.done(), stderr.done()]);
    if (timedOut) {
      throw new CriError(grpcStatus.DEADLINE_EXCEEDED, `command ${JSON.stringify(cmd)} in container ${c.id} timed out after ${timeoutSec}s`);
    }
    return { stdout: out, stderr: err, exitCode: raw.code ?? exitCodeForSignal(raw.signal ?? 'SIGKILL') };
  }

  async containerUsage(c: ContainerRecord): Promise<ContainerUsage> {
    const timestamp = nowNs();
    let stats: CgroupStats = {};
    if (c.cgroup !== '') stats = await this.cgroups.stats(c.cgroup);
    else if (c.state === 'running') stats = await procUsage(c.pid);
    let nanoCores: bigint | undefined;
    if (stats.cpuUsageNs !== undefined) {
      const previous = this.cpuSamples.get(c.id);
      if (previous && timestamp > previous.at && stats.cpuUsageNs >= previous.usage) {
        nanoCores = ((stats.cpuUsageNs - previous.usage) * 1_000_000_000n) / (timestamp - previous.at);
      }
      this.cpuSamples.set(c.id, { usage: stats.cpuUsageNs, at: timestamp });
    }
    return { timestamp, cgroup: stats, nanoCores };
  }

  /** The sandbox's usage: the sum over its containers (sandboxes have no process of their own). */
  async sandboxUsage(id: string): Promise<{ timestamp: bigint; containers: { record: ContainerRecord; usage: ContainerUsage }[]; total: ContainerUsage }> {
    const containers = await Promise.all(this.containersOf(id).map(async (record) => ({ record, usage: await this.containerUsage(record) })));
    const total: CgroupStats = {};
    let nanoCores: bigint | undefined;
    const add = (key: keyof CgroupStats, value: bigint | undefined) => {
      if (value !== undefined) total[key] = (total[key] ?? 0n) + value;
    };
    for (const { usage } of containers) {
      for (const key of ['cpuUsageNs', 'memoryUsageBytes', 'memoryWorkingSetBytes', 'memoryRssBytes', 'pageFaults', 'majorPageFaults', 'pids'] as const) {
        add(key, usage.cgroup[key]);
      }
      if (usage.nanoCores !== undefined) nanoCores = (nanoCores ?? 0n) + usage.nanoCores;
    }
    const timestamp = nowNs();
    return { timestamp, containers, total: { timestamp, cgroup: total, nanoCores } };
  }

  /** Debug information for verbose Status: cgroups, tools, counts. */
  statusInfo(): Record<string, unknown> {
    return {
      rootDir: this.rootDir,
      cgroups: this.cgroups.summary(),
      tools: this.tools,
      sandboxes: this.sandboxes.size,
      containers: this.containers.size,
      running: [...this.containers.values()].filter((c) => c.state === 'running').length,
      hostIPs: hostIps(),
    };
  }

  /** Used by RemoveImage: a container (not yet removed) that uses the image. */
  containerUsingImage(imageId: string): string | undefined {
    for (const c of this.containers.values()) if (c.imageId === imageId) return c.id;
    return undefined;
  }

  /**
   * Stops serving state changes. With stopContainers, every running container gets its
   * stop signal, then SIGKILL after graceMs, and is recorded as exited; without, the
   * processes are left running (a later runtime adopts them).
   */
  async shutdown(options: { stopContainers: boolean; graceMs: number }): Promise<void> {
    clearInterval(this.adoptedTimer);
    if (options.stopContainers) {
      const running = [...this.containers.values()].filter((c) => c.state === 'running');
      await Promise.all(running.map((c) => this.stopContainer(c.id, Math.max(options.graceMs, 0) / 1000).catch(() => undefined)));
    }
    this.closing = true;
    for (const live of this.live.values()) {
      for (const reader of live.readers) reader.destroy();
      await live.writer.close();
    }
    this.live.clear();
    this.listeners.clear();
  }

  // ---- internals

  private launchSpec(c: ContainerRecord): LaunchSpec {
    return {
      argv: c.argv,
      env: c.env,
      rootfs: c.rootfs,
      workingDir: c.workingDir,
      user: c.user,
      ...(c.rootfs !== '/' ? { mountSetup: { readonlyRootfs: c.readonlyRootfs, systemMounts: true, bindMounts: c.bindMounts } } : {}),
    };
  }

  /**
   * Makes the mount points a rootfs container needs (dev, proc, sys, and each requested
   * mount's target, resolved inside the rootfs) and returns the bind mounts: the
   * requested ones, plus the host's /etc/resolv.conf and /etc/hosts (read-only) when
   * not requested, since every pod shares the host network.
   */
  private async prepareRootfs(image: ResolvedImage, mounts: readonly runtime.Mount[]): Promise<BindMount[]> {
    for (const dir of ['dev', 'proc', 'sys']) await ensureMountPoint(await secureJoin(image.rootfs, dir), true);
    const binds: BindMount[] = [];
    const targets = new Set<string>();
    for (const mount of mounts) {
      if (mount.image && mount.image.image !== '') throw invalidArgument(`image volume mounts (${mount.image.image} at ${mount.containerPath}) are not supported`);
      if (mount.uidMappings.length > 0 || mount.gidMappings.length > 0) throw invalidArgument(`id-mapped mounts (${mount.containerPath}) are not supported`);
      if (!isAbsolute(mount.containerPath)) throw invalidArgument(`mount container_path "${mount.containerPath}" must be absolute`);
      if (!isAbsolute(mount.hostPath)) throw invalidArgument(`mount host_path "${mount.hostPath}" must be absolute`);
      const source = await stat(mount.hostPath).catch(() => undefined);
      if (!source) throw invalidArgument(`mount source "${mount.hostPath}" (for ${mount.containerPath}) does not exist`);
      const target = await secureJoin(image.rootfs, mount.containerPath);
      await ensureMountPoint(target, source.isDirectory());
      binds.push({ source: mount.hostPath, target, readonly: mount.readonly });
      targets.add(posix.normalize(mount.containerPath));
    }
    for (const file of ['/etc/resolv.conf', '/etc/hosts']) {
      if (targets.has(file)) continue;
      const hostFile = await stat(file).catch(() => undefined);
      if (!hostFile?.isFile()) continue;
      const target = await secureJoin(image.rootfs, file);
      await ensureMountPoint(target, false);
      binds.push({ source: file, target, readonly: true });
    }
    return binds;
  }

  private async ensureWorkingDir(c: ContainerRecord): Promise<void> {
    const path = await hostPathOf(c, c.workingDir);
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) return;
    if (info) throw failedPrecondition(`working dir ${c.workingDir} is not a directory`);
    // As runc does, a missing working dir is created in a rootfs; the host root is left alone.
    if (c.rootfs === '/') throw failedPrecondition(`working dir ${c.workingDir} does not exist on the host`);
    await mkdir(path, { recursive: true, mode: 0o755 });
  }

  private logPathFor(sandbox: SandboxRecord, logPath: string): string {
    if (logPath === '') return '';
    if (isAbsolute(logPath)) return posix.normalize(logPath);
    if (sandbox.logDirectory === '') throw invalidArgument(`log_path "${logPath}" is relative but the sandbox has no log_directory`);
    const full = posix.join(sandbox.logDirectory, logPath);
    if (!full.startsWith(`${posix.normalize(sandbox.logDirectory)}/`)) throw invalidArgument(`log_path "${logPath}" leaves the sandbox log_directory`);
    return full;
  }

  private async markStartFailed(c: ContainerRecord, message: string): Promise<void> {
    c.state = 'exited';
    c.startedAt = 0n;
    c.finishedAt = nowNs();
    c.exitCode = 128;
    c.reason = 'StartError';
    c.message = message;
    await this.state.saveContainer(c);
    this.emit('stopped', c.id, c.sandboxId);
  }

  /** Starts copying the container's FIFOs into its log and tracks it until it exits. */
  private watch(c: ContainerRecord, writer: CriLogWriter, readers: Socket[], adopted: boolean): Live {
    let markExited: () => void = () => undefined;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const streams: LogStream[] = ['stdout', 'stderr'];
    const done = readers.map((reader, i) => pump(reader, new CriLineSplitter(streams[i] ?? 'stdout', writer), writer, this.logger));
    const live: Live = { adopted, writer, readers, readersDone: Promise.all(done).then(() => undefined), exited, markExited, finishing: false };
    this.live.set(c.id, live);
    if (adopted) this.background(live.readersDone.then(() => this.checkAdopted(c)), 'checking an adopted container failed', c.id);
    return live;
  }

  /**
   * Records the end of a container: kills what is left in its process group and cgroup
   * (the container is over when its main process is), lets the output drain, and
   * derives exit code and reason (OOMKilled when the memory cgroup killed something).
   */
  private async finish(c: ContainerRecord, live: Live, outcome: RawExit | 'unknown' | { startError: string }): Promise<void> {
    if (live.finishing || this.closing) return;
    live.finishing = true;
    let oomKilled = false;
    try {
      if (c.pid > 0 && !live.adopted) signalProcessGroup(c.pid, 'SIGKILL');
      if (c.cgroup !== '') await this.cgroups.killAll(c.cgroup);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([live.readersDone, new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_MS)))]);
      clearTimeout(timer);
      for (const reader of live.readers) reader.destroy();
      await live.writer.close();
      oomKilled = c.cgroup !== '' && (await this.cgroups.oomKills(c.cgroup)) > 0;
    } catch (err) {
      this.logger.warn({ err, containerId: c.id }, 'cleanup after container exit failed');
    }
    c.state = 'exited';
    c.finishedAt = nowNs();
    if (outcome === 'unknown') {
      c.exitCode = oomKilled ? 137 : 255;
      c.reason = oomKilled ? 'OOMKilled' : 'Unknown';
      c.message = `the process (pid ${c.pid}) was started by an earlier runtime instance; its exit status is unknown`;
    } else if ('startError' in outcome) {
      c.exitCode = 128;
      c.reason = 'StartError';
      c.message = outcome.startError;
    } else {
      c.exitCode = outcome.code ?? exitCodeForSignal(outcome.signal ?? 'SIGKILL');
      c.reason = oomKilled ? 'OOMKilled' : c.exitCode === 0 ? 'Completed' : 'Error';
      c.message = outcome.signal ? `terminated by ${outcome.signal}` : '';
    }
    this.live.delete(c.id);
    await this.state.saveContainer(c).catch((err: unknown) => this.logger.error({ err, containerId: c.id }, 'cannot persist container state'));
    this.logger.info({ containerId: c.id, exitCode: c.exitCode, reason: c.reason }, 'container exited');
    live.markExited();
    this.emit('stopped', c.id, c.sandboxId);
  }

  /** Runs work nobody awaits; a failure is logged, never an unhandled rejection. */
  private background(work: Promise<unknown>, what: string, containerId: string): void {
    work.catch((err: unknown) => this.logger.error({ err, containerId }, what));
  }

  private async signalContainer(c: ContainerRecord, signal: NodeJS.Signals): Promise<void> {
    const live = this.live.get(c.id);
    if (!live) return;
    if (live.adopted && !(await isSameLiveProcess(c.pid, c.pidStartTime))) {
      this.background(this.checkAdopted(c), 'checking an adopted container failed', c.id);
      return;
    }
    signalProcessGroup(c.pid, signal);
  }

  private async killContainer(c: ContainerRecord): Promise<void> {
    await this.signalContainer(c, 'SIGKILL');
    if (c.cgroup !== '') await this.cgroups.killAll(c.cgroup);
  }

  private async checkAdopted(c: ContainerRecord): Promise<void> {
    const live = this.live.get(c.id);
    if (!live?.adopted || live.finishing) return;
    if (!(await isSameLiveProcess(c.pid, c.pidStartTime))) await this.finish(c, live, 'unknown');
  }

  /** Loads persisted state; re-adopts running containers whose process still runs. */
  private async restore(): Promise<void> {
    for (const sandbox of await this.state.loadSandboxes()) {
      this.sandboxes.set(sandbox.id, sandbox);
      this.names.set(sandbox.name, sandbox.id);
    }
    let adopted = 0;
    for (const c of await this.state.loadContainers()) {
      this.containers.set(c.id, c);
      this.names.set(c.name, c.id);
      if (c.state === 'unknown') c.state = 'exited';
      if (c.state !== 'running') continue;
      if (c.bootId === this.bootId && c.pidStartTime !== '' && (await isSameLiveProcess(c.pid, c.pidStartTime))) {
        await this.adopt(c);
        adopted++;
        continue;
      }
      const oomKilled = c.cgroup !== '' && (await this.cgroups.oomKills(c.cgroup)) > 0;
      if (c.cgroup !== '') await this.cgroups.killAll(c.cgroup);
      c.state = 'exited';
      c.finishedAt = nowNs();
      c.exitCode = oomKilled ? 137 : 255;
      c.reason = oomKilled ? 'OOMKilled' : 'Unknown';
      c.message =
        c.bootId !== this.bootId
          ? 'the node restarted while the container was running'
          : `the process (pid ${c.pid}) ended while the runtime was not running; its exit status is unknown`;
      await this.state.saveContainer(c);
    }
    if (this.containers.size > 0 || this.sandboxes.size > 0) {
      this.logger.info({ sandboxes: this.sandboxes.size, containers: this.containers.size, adopted }, 'restored runtime state');
    }
    this.adoptedTimer = setInterval(() => {
      for (const [id, live] of this.live) {
        const c = this.containers.get(id);
        if (live.adopted && c) this.background(this.checkAdopted(c), 'checking an adopted container failed', id);
      }
    }, ADOPTED_POLL_MS);
    this.adoptedTimer.unref();
  }

  /** Watches a process started by an earlier runtime instance: its logs continue; its exit code will be unknown. */
  private async adopt(c: ContainerRecord): Promise<void> {
    const writer = await CriLogWriter.open(c.logPath, this.logger).catch(async (err: unknown) => {
      this.logger.warn({ err, containerId: c.id, path: c.logPath }, 'cannot reopen container log; discarding its output');
      return CriLogWriter.open('', this.logger);
    });
    const readers: Socket[] = [];
    for (const stream of ['stdout', 'stderr']) {
      const fd = await openFd(join(this.state.containerDir(c.id), stream), fsConstants.O_RDONLY | fsConstants.O_NONBLOCK).catch(() => undefined);
      if (fd !== undefined) readers.push(new Socket({ fd, readable: true, writable: false }));
    }
    this.watch(c, writer, readers, true);
    this.logger.info({ containerId: c.id, pid: c.pid }, 'adopted a running container');
  }

  private reserveName(name: string, id: string): void {
    const holder = this.names.get(name);
    if (holder !== undefined) throw alreadyExists(`name "${name}" is reserved for ${holder}`);
    this.names.set(name, id);
  }

  /** CRI clients may use a unique id prefix (as with containerd's truncated ids). */
  private byPrefix<T>(map: Map<string, T>, prefix: string): T | undefined {
    if (prefix.length < 4) return undefined;
    let found: T | undefined;
    for (const [id, value] of map) {
      if (!id.startsWith(prefix)) continue;
      if (found !== undefined) return undefined;
      found = value;
    }
    return found;
  }
}

function pump(reader: Socket, splitter: CriLineSplitter, writer: CriLogWriter, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    reader.on('data', (chunk: Buffer) => {
      if (!splitter.push(chunk)) {
        reader.pause();
        writer.onDrain(() => reader.resume());
      }
    });
    reader.on('end', () => {
      splitter.end();
      resolve();
    });
    reader.on('error', (err) => {
      logger.debug({ err }, 'container output stream failed');
      resolve();
    });
    reader.on('close', () => resolve());
  });
}

function collect(stream: NodeJS.ReadableStream | null): { done(): Promise<Buffer> } {
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  const waiters: (() => void)[] = [];
  stream?.on('data', (chunk: Buffer) => {
    if (size >= EXEC_OUTPUT_LIMIT) return;
    const part = chunk.subarray(0, EXEC_OUTPUT_LIMIT - size);
    chunks.push(part);
    size += part.length;
  });
  const end = () => {
    ended = true;
    for (const wake of waiters.splice(0)) wake();
  };
  stream?.on('end', end);
  stream?.on('error', end);
  stream?.on('close', end);
  if (!stream) ended = true;
  return {
    async done() {
      // Output is complete when the pipe closes; a background process holding it open gets a short grace.
      if (!ended) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 250);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return Buffer.concat(chunks);
    },
  };
}

/**
 * The host path of a path in the container: resolved inside the rootfs, then through
 * the bind mount that covers it (the deepest one), as the container will see it.
 */
async function hostPathOf(c: ContainerRecord, path: string): Promise<string> {
  const host = await secureJoin(c.rootfs, path);
  let best: BindMount | undefined;
  for (const mount of c.bindMounts) {
    if ((host === mount.target || host.startsWith(`${mount.target}/`)) && mount.target.length >= (best?.target.length ?? 0)) best = mount;
  }
  return best ? best.source + host.slice(best.target.length) : host;
}

/** The name a container's image is reported by: the tag it was asked for, else the image's first tag. */
function imageName(image: ResolvedImage, spec: runtime.ImageSpec): string {
  for (const candidate of [spec.image, spec.userSpecifiedImage]) {
    if (candidate === '' || isImageId(candidate)) continue;
    try {
      const normalised = parseImageRef(candidate).normalised;
      if (image.repoTags.includes(normalised)) return normalised;
    } catch {
      // Not a reference; try the next.
    }
  }
  return image.repoTags[0] ?? (spec.userSpecifiedImage || spec.image);
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

function matchesLabels(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** What a sandbox config asks for that the host-process runtime does not do. */
function ignoredSandboxSettings(config: runtime.PodSandboxConfig): string[] {
  const ignored: string[] = [];
  const ns = config.linux?.securityContext?.namespaceOptions;
  const NODE = runtime.NamespaceMode.NODE;
  if ((ns?.network ?? runtime.NamespaceMode.POD) !== NODE) ignored.push('pod network namespace: the pod uses the host network');
  if ((ns?.pid ?? runtime.NamespaceMode.POD) !== NODE) ignored.push('pod PID namespace: the pod sees host processes');
  if ((ns?.ipc ?? runtime.NamespaceMode.POD) !== NODE) ignored.push('pod IPC namespace: the pod uses the host IPC namespace');
  if (ns?.usernsOptions && ns.usernsOptions.mode !== NODE) ignored.push('user namespace');
  if (config.hostname !== '' && config.hostname !== hostname()) ignored.push(`hostname "${config.hostname}": the pod has the host's`);
  if (config.portMappings.length > 0) ignored.push('port mappings: containers bind host ports directly');
  if (Object.keys(config.linux?.sysctls ?? {}).length > 0) ignored.push('sysctls: they would change the host');
  if ((config.dnsConfig?.servers.length ?? 0) > 0) ignored.push("DNS config: containers use the host's resolv.conf");
  return ignored;
}

/** Non-zero fields of the update replace the recorded ones (zero means "unchanged", as on the cgroup). */
function mergeResources(current: runtime.LinuxContainerResources, update: runtime.LinuxContainerResources): runtime.LinuxContainerResources {
  return runtime.LinuxContainerResources.fromPartial({
    cpuPeriod: update.cpuPeriod || current.cpuPeriod,
    cpuQuota: update.cpuQuota || current.cpuQuota,
    cpuShares: update.cpuShares || current.cpuShares,
    memoryLimitInBytes: update.memoryLimitInBytes || current.memoryLimitInBytes,
    oomScoreAdj: update.oomScoreAdj || current.oomScoreAdj,
    cpusetCpus: update.cpusetCpus || current.cpusetCpus,
    cpusetMems: update.cpusetMems || current.cpusetMems,
    hugepageLimits: update.hugepageLimits.length > 0 ? update.hugepageLimits : current.hugepageLimits,
    unified: { ...current.unified, ...update.unified },
    memorySwapLimitInBytes: update.memorySwapLimitInBytes || current.memorySwapLimitInBytes,
  });
}

/**
 * Sets oom_score_adj, but never lowers it: without CAP_SYS_RESOURCE (as here) the kernel
 * refuses that, so a lower request keeps the runtime's own value (containerd's
 * restrict_oom_score_adj).
 */
async function raiseOomScoreAdj(pid: number, wanted: number): Promise<void> {
  const path = `/proc/${pid}/oom_score_adj`;
  const handle = await openFile(path, 'r+').catch(() => undefined);
  if (!handle) return;
  try {
    const current = Number((await handle.readFile('utf8')).trim());
    const value = Math.max(Math.min(wanted, 1000), -1000);
    if (value > current) await handle.write(String(value), 0);
  } catch {
    // Best effort: the container runs with the inherited score.
  } finally {
    await handle.close();
  }
}

async function ensureMountPoint(path: string, directory: boolean): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info) {
    if (directory && !info.isDirectory()) throw invalidArgument(`mount point ${path} exists and is not a directory`);
    return;
  }
  if (directory) {
    await mkdir(path, { recursive: true, mode: 0o755 });
    return;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const handle = await openFile(path, 'a', 0o644).catch((err: unknown) => {
    if (errnoCode(err) === 'EEXIST') return undefined;
    throw err;
  });
  await handle?.close();
}

async function procUsage(pid: number): Promise<CgroupStats> {
  const stat = pid > 0 ? await readProcStat(pid) : undefined;
  if (!stat) return {};
  // USER_HZ is 100 on Linux.
  const rss = BigInt(stat.rssPages) * 4096n;
  return { cpuUsageNs: BigInt(stat.utimeTicks + stat.stimeTicks) * 10_000_000n, memoryUsageBytes: rss, memoryWorkingSetBytes: rss, memoryRssBytes: rss };
}

let cachedIps: { at: number; ips: string[] } | undefined;

/**
 * The host's addresses, the default route's interface first: what every pod reports as
 * its IPs, since all pods share the host network. Cached for 30 s.
 */
export function hostIps(): string[] {
  const now = Date.now();
  if (cachedIps && now - cachedIps.at < 30_000) return cachedIps.ips;
  const defaultInterfaces = new Set<string>();
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const [iface, destination] = line.split('\t');
      if (iface && destination === '00000000') defaultInterfaces.add(iface);
    }
  } catch {
    // No /proc/net/route: keep the interface order.
  }
  const interfaces = Object.entries(networkInterfaces()).sort(
    ([a], [b]) => Number(defaultInterfaces.has(b)) - Number(defaultInterfaces.has(a)),
  );
  const v4: string[] = [];
  const v6: string[] = [];
  for (const [, addrs] of interfaces) {
    for (const a of addrs ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') v4.push(a.address);
      else if (!a.address.startsWith('fe80')) v6.push(a.address);
    }
  }
  const ips = [...v4, ...v6];
  cachedIps = { at: now, ips: ips.length > 0 ? ips : ['127.0.0.1'] };
  return cachedIps.ips;
}
