import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { runtime } from '@kernelet/proto';
import type { Container, ContainerAllocation, Pod } from '@kernelet/sdk/common';
import type { Logger } from '../logging/logger.js';
import type { Backoff } from '../pods/backoff.js';
import { hashContainer } from '../pods/container-hash.js';
import { computePodActions, type PodActions } from '../pods/pod-actions.js';
import { hasRestartableInitContainer, isHostNetwork, isRestartableInitContainer, LABEL_POD_UID, podGracePeriodSeconds, podKey, podLogDirName } from '../pods/pod-naming.js';
import type { PodRuntime, PodSyncResult, PodVolumes } from '../pods/pod-runtime.js';
import type { WaitingReason } from '../pods/pod-status.js';
import { findContainerStatus, type RuntimePod, type RuntimePodStatus } from '../pods/runtime-status.js';
import { ContainerConfigError, containerConfig } from './container-config.js';
import type { ResourceOptions } from './container-resources.js';
import { errorText } from './cri-error.js';
import { ImageError, type ImagePuller } from './image-puller.js';
import { HookRunner, type LifecycleHandler } from './lifecycle-hooks.js';
import type { RuntimeService } from './runtime-service.js';
import { groupRuntimePods, type RuntimeStatusReader } from './runtime-status-reader.js';
import { podSandboxConfig } from './sandbox-config.js';
import { TerminationOrdering } from './termination-ordering.js';

/** The shortest grace a container gets after its preStop hook (upstream minimumGracePeriodInSeconds). */
export const MINIMUM_GRACE_PERIOD_SECONDS = 2;

export interface RuntimeManagerOptions {
  rootDir: string;
  podLogsDir: string;
  nodeName: string;
  runtimeHandler: string;
  seccompDefault: boolean;
  resources: ResourceOptions;
  cgroupParent(pod: Pod): string;
  dnsConfig(pod: Pod): runtime.DNSConfig;
  nodeIPs(): string[];
  allocatable(): { cpuMilli: number; memoryBytes: number };
  /** What hint providers allocated to the container, when a topology manager runs. */
  allocation?(podUID: string, containerName: string): ContainerAllocation | undefined;
  /** Whether the runtime can bind a file at terminationMessagePath (default /dev/termination-log). */
  terminationMessageMounts?(): boolean;
}

/** A failed step of a sync, with the upstream reason shown as the container's waiting reason. */
class SyncStepError extends Error {
  override readonly name = 'SyncStepError';
  constructor(
    readonly reason: string,
    message: string,
    readonly requeueAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Runs pods on a CRI runtime (upstream kubeGenericRuntimeManager): computes what to do,
 * creates the sandbox, runs init containers one at a time and then the app containers, with
 * crash-loop backoff, image pull policy, postStart hooks; stops containers with their preStop
 * hook and grace period.
 */
export class RuntimeManager implements PodRuntime {
  readonly hooks: HookRunner;

  constructor(
    /** The runtime's name as its Version answer gives it (known after the handshake). */
    private readonly nameOf: () => string,
    private readonly runtimeService: RuntimeService,
    private readonly images: ImagePuller,
    private readonly statusReader: RuntimeStatusReader,
    private readonly crashBackoff: Backoff,
    private readonly options: RuntimeManagerOptions,
    private readonly logger: Logger,
  ) {
    this.hooks = new HookRunner(runtimeService, (pod) => (isHostNetwork(pod) ? (options.nodeIPs()[0] ?? '') : ''));
  }

  get runtimeName(): string {
    return this.nameOf();
  }

  async listPods(): Promise<Map<string, RuntimePod>> {
    const { sandboxes, containers } = await this.statusReader.listAll();
    return groupRuntimePods(sandboxes, containers);
  }

  podStatus(uid: string, name: string, namespace: string): Promise<RuntimePodStatus> {
    return this.statusReader.fetch(uid, name, namespace);
  }

  forgetPod(uid: string): void {
    this.crashBackoff.deletePrefix(`${uid}_`);
    this.images.forgetPod(uid);
  }

  async syncPod(pod: Pod, status: RuntimePodStatus, volumes: PodVolumes): Promise<PodSyncResult> {
    const result: PodSyncResult = { reasons: new Map() };
    const actions = computePodActions(pod, status);
    const log = this.logger.child({ pod: podKey(pod), podUID: pod.metadata?.uid });
    try {
      await this.applyActions(pod, status, volumes, actions, result, log);
    } catch (error) {
      result.error ??= error as Error;
    }
    return result;
  }

  private async applyActions(pod: Pod, status: RuntimePodStatus, volumes: PodVolumes, actions: PodActions, result: PodSyncResult, log: Logger): Promise<void> {
    if (actions.killPod) {
      if (status.sandboxes.length > 0 || status.containers.some((c) => c.state === 'running')) {
        log.info({ createSandbox: actions.createSandbox }, actions.createSandbox ? 'stopping pod to create a new sandbox' : 'stopping pod: no container left to run');
        await this.killPod(pod, status);
      }
      if (actions.createSandbox) {
        // Starting over: the init containers run again.
        const inits = new Set((pod.spec?.initContainers ?? []).map((c) => c.name));
        await this.removeContainers(status.containers.filter((c) => inits.has(c.name)).map((c) => c.id));
      }
    } else {
      await Promise.all(
        [...actions.containersToKill].map(async ([id, kill]) => {
          log.info({ containerName: kill.name, containerID: id, message: kill.message }, 'killing container');
          await this.killContainer(pod, id, kill.name, kill.container, undefined);
        }),
      );
    }

    let sandboxId = actions.sandboxId;
    let podIPs = isHostNetwork(pod) ? this.options.nodeIPs() : (status.sandboxes[0]?.ips ?? []);
    const sandboxConfig = podSandboxConfig(pod, actions.attempt, {
      podLogsDir: this.options.podLogsDir,
      cgroupParent: this.options.cgroupParent(pod),
      dns: this.options.dnsConfig(pod),
      seccompDefault: this.options.seccompDefault,
    });
    if (actions.createSandbox) {
      const started = performance.now();
      try {
        await mkdir(sandboxConfig.logDirectory, { recursive: true, mode: 0o755 });
        sandboxId = await this.runtimeService.runPodSandbox(sandboxConfig, this.options.runtimeHandler);
      } catch (error) {
        const message = `Failed to create pod sandbox: ${errorText(error)}`;
        log.warn({ err: errorText(error) }, 'creating the pod sandbox failed');
        throw new SyncStepError('CreatePodSandboxError', message);
      }
      log.info({ sandboxID: sandboxId, attempt: actions.attempt, durationMs: Math.round(performance.now() - started) }, 'pod sandbox created');
      if (!isHostNetwork(pod)) {
        const sandbox = await this.runtimeService.podSandboxStatus(sandboxId);
        podIPs = sandbox?.network?.ip ? [sandbox.network.ip, ...sandbox.network.additionalIps.map((a) => a.ip)] : [];
      }
      await this.writeEtcHosts(pod, podIPs).catch((error: Error) => log.warn({ err: error.message }, 'cannot write the pod /etc/hosts'));
    }
    if (!sandboxId) return;

    const start = async (container: Container, kind: 'init' | 'sidecar' | 'app'): Promise<boolean> => {
      try {
        this.checkBackoff(pod, container, status);
        await this.startContainer(pod, container, sandboxId, sandboxConfig, status, podIPs, volumes, log);
        result.reasons.set(container.name, null);
        log.info({ containerName: container.name, kind }, 'container started');
        return true;
      } catch (error) {
        const reason = reasonOf(error);
        result.reasons.set(container.name, reason);
        result.error ??= error as Error;
        const after = error instanceof SyncStepError ? error.requeueAfterMs : undefined;
        if (after !== undefined) result.requeueAfterMs = Math.min(result.requeueAfterMs ?? Infinity, after);
        if (reason.reason !== 'CrashLoopBackOff') log.warn({ containerName: container.name, kind, reason: reason.reason, err: reason.message }, 'container failed to start');
        return false;
      }
    };

    for (const index of actions.initContainersToStart) {
      const init = pod.spec?.initContainers?.[index];
      if (!init) continue;
      // Keep only the last run of this init container (upstream pruneInitContainersBeforeStart).
      const older = status.containers.filter((c) => c.name === init.name && c.state === 'exited').slice(1);
      await this.removeContainers(older.map((c) => c.id));
      const sidecar = isRestartableInitContainer(init);
      // A sidecar that cannot start now is retried on a later sync; a regular init container blocks what follows it.
      if (!(await start(init, sidecar ? 'sidecar' : 'init')) && !sidecar) return;
    }
    for (const index of actions.containersToStart) {
      const container = pod.spec?.containers?.[index];
      if (container) await start(container, 'app');
    }
  }

  /** Throws CrashLoopBackOff while the container's restart delay runs; otherwise records the restart. */
  private checkBackoff(pod: Pod, container: Container, status: RuntimePodStatus): void {
    const exited = status.containers.find((c) => c.name === container.name && c.state === 'exited');
    if (!exited) return;
    const key = backoffKey(pod, container);
    const finishedAt = exited.finishedAt || exited.createdAt;
    if (this.crashBackoff.isInBackOffSince(key, finishedAt)) {
      const remaining = this.crashBackoff.remainingSince(key, finishedAt);
      const delay = formatSeconds(this.crashBackoff.get(key));
      throw new SyncStepError(
        'CrashLoopBackOff',
        `back-off ${delay} restarting failed container=${container.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`,
        remaining,
      );
    }
    this.crashBackoff.next(key, finishedAt);
  }

  private async startContainer(
    pod: Pod,
    container: Container,
    sandboxId: string,
    sandboxConfig: runtime.PodSandboxConfig,
    status: RuntimePodStatus,
    podIPs: readonly string[],
    volumes: PodVolumes,
    log: Logger,
  ): Promise<void> {
    const imageRef = await this.images.ensureImageExists(pod, container, sandboxConfig);
    const uid = pod.metadata?.uid ?? '';
    const previous = findContainerStatus(status, container.name);
    const restartCount = previous ? previous.restartCount + 1 : await this.restartCountFromLogs(sandboxConfig.logDirectory, container.name);
    const containerDir = join(this.options.rootDir, 'pods', uid, 'containers', container.name);
    let terminationMessageFile: string | undefined;
    const etcHostsFile = join(this.options.rootDir, 'pods', uid, 'etc-hosts');
    try {
      await mkdir(join(sandboxConfig.logDirectory, container.name), { recursive: true, mode: 0o755 });
      if ((container.terminationMessagePath ?? '/dev/termination-log') !== '' && (this.options.terminationMessageMounts?.() ?? true)) {
        await mkdir(containerDir, { recursive: true, mode: 0o750 });
        terminationMessageFile = join(containerDir, randomBytes(4).toString('hex'));
        await writeFile(terminationMessageFile, '');
        await chmod(terminationMessageFile, 0o666);
      }
    } catch (error) {
      throw new SyncStepError('CreateContainerConfigError', `cannot prepare the container's files: ${(error as Error).message}`);
    }
    let config: runtime.ContainerConfig;
    try {
      const allocation = this.options.allocation?.(uid, container.name);
      config = containerConfig({
        pod,
        container,
        restartCount,
        imageRef,
        nodeName: this.options.nodeName,
        podIPs,
        hostIPs: this.options.nodeIPs(),
        volumes: volumes.volumes,
        unsupportedVolumes: volumes.unsupported,
        ...(terminationMessageFile ? { terminationMessageFile } : {}),
        etcHostsFile,
        resources: this.options.resources,
        seccompDefault: this.options.seccompDefault,
        allocatable: this.options.allocatable(),
        ...(allocation ? { allocation } : {}),
      });
    } catch (error) {
      if (error instanceof ContainerConfigError) throw new SyncStepError(error.reason, error.message);
      throw error;
    }
    let containerId: string;
    try {
      containerId = await this.runtimeService.createContainer(sandboxId, config, sandboxConfig);
    } catch (error) {
      throw new SyncStepError('CreateContainerError', errorText(error));
    }
    try {
      await this.runtimeService.startContainer(containerId);
    } catch (error) {
      throw new SyncStepError('RunContainerError', errorText(error));
    }
    const postStart = container.lifecycle?.postStart as LifecycleHandler | undefined;
    if (postStart) {
      try {
        await this.hooks.run(containerId, pod, container, postStart, podGracePeriodSeconds(pod) || 30);
      } catch (error) {
        log.warn({ containerName: container.name, containerID: containerId, err: (error as Error).message }, 'postStart hook failed; killing the container');
        await this.killContainer(pod, containerId, container.name, container, undefined, 'FailedPostStartHook').catch(() => undefined);
        throw new SyncStepError('PostStartHookError', (error as Error).message);
      }
    }
  }

  /** The next restart count of a container that left only its logs (upstream calcRestartCountByLogDir). */
  private async restartCountFromLogs(logDirectory: string, name: string): Promise<number> {
    let entries: string[];
    try {
      entries = await readdir(join(logDirectory, name));
    } catch {
      return 0;
    }
    let next = 0;
    for (const entry of entries) {
      const m = /^(\d+)\.log/.exec(entry);
      if (m) next = Math.max(next, Number(m[1]) + 1);
    }
    return next;
  }

  async killPod(pod: Pod | undefined, running: RuntimePod | RuntimePodStatus, gracePeriodOverrideSeconds?: number): Promise<void> {
    const containers = running.containers.filter((c) => c.state === 'running' || c.state === 'unknown' || c.state === 'created');
    const errors: Error[] = [];
    // With sidecars, app containers stop first, then the sidecars in reverse order (upstream killContainersWithSyncResult).
    const ordering = pod && hasRestartableInitContainer(pod) ? new TerminationOrdering(pod, containers.map((c) => c.name)) : undefined;
    await Promise.all(
      containers.map((c) => {
        const spec = [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])].find((s) => s.name === c.name);
        const annotated = 'preStopHandler' in c || 'terminationGracePeriodSeconds' in c ? c : undefined;
        return this.killContainer(pod, c.id, c.name, spec, gracePeriodOverrideSeconds, undefined, annotated, ordering).catch((e: Error) => errors.push(e));
      }),
    );
    for (const sandbox of running.sandboxes) {
      try {
        await this.runtimeService.stopPodSandbox(sandbox.id);
      } catch (error) {
        errors.push(error as Error);
      }
    }
    if (errors.length > 0) throw new Error(`failed to stop pod ${running.namespace}/${running.name}: ${errors.map(errorText).join('; ')}`);
  }

  /**
   * Stops one container: its preStop hook first, within the grace period; then, in a pod
   * with sidecars, it waits its turn with what is left of it; then StopContainer with what
   * is left (at least 2 s).
   */
  async killContainer(
    pod: Pod | undefined,
    containerId: string,
    name: string,
    spec: Container | undefined,
    gracePeriodOverrideSeconds: number | undefined,
    reason?: string,
    annotated?: { terminationGracePeriodSeconds?: number; preStopHandler?: string },
    ordering?: TerminationOrdering,
  ): Promise<void> {
    let grace = pod ? podGracePeriodSeconds(pod) : (annotated?.terminationGracePeriodSeconds ?? 30);
    if (pod?.metadata?.deletionGracePeriodSeconds !== undefined) grace = pod.metadata.deletionGracePeriodSeconds;
    let preStop = spec?.lifecycle?.preStop as LifecycleHandler | undefined;
    if (!preStop && annotated?.preStopHandler) {
      try {
        preStop = JSON.parse(annotated.preStopHandler) as LifecycleHandler;
      } catch {
        preStop = undefined;
      }
    }
    const log = this.logger.child({ ...(pod ? { pod: podKey(pod), podUID: pod.metadata?.uid } : {}), containerName: name, containerID: containerId });
    if (preStop && grace > 0 && reason !== 'FailedPostStartHook') {
      const started = performance.now();
      const abort = new AbortController();
      const hook = this.hooks.run(containerId, pod, spec, preStop, grace, abort.signal).catch((error: Error) => log.warn({ err: error.message }, 'preStop hook failed'));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([hook, new Promise<void>((r) => (timer = setTimeout(r, grace * 1000)))]);
      clearTimeout(timer);
      abort.abort();
      grace -= Math.floor((performance.now() - started) / 1000);
    }
    if (ordering) grace -= await ordering.waitForTurn(name, Math.min(grace, gracePeriodOverrideSeconds ?? grace));
    if (grace < MINIMUM_GRACE_PERIOD_SECONDS) grace = MINIMUM_GRACE_PERIOD_SECONDS;
    if (gracePeriodOverrideSeconds !== undefined) grace = gracePeriodOverrideSeconds;
    log.debug({ gracePeriodSeconds: grace, reason }, 'stopping container');
    await this.runtimeService.stopContainer(containerId, grace);
    ordering?.containerStopped(name);
  }

  async removePod(uid: string): Promise<void> {
    const [sandboxes, containers] = await Promise.all([
      this.runtimeService.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: uid } }),
      this.runtimeService.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } }),
    ]);
    await this.removeContainers(containers.map((c) => c.id));
    for (const s of sandboxes) {
      await this.runtimeService.stopPodSandbox(s.id);
      await this.runtimeService.removePodSandbox(s.id);
    }
  }

  async removeContainers(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.runtimeService.removeContainer(id)));
  }

  async removeSandboxes(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      await this.runtimeService.stopPodSandbox(id);
      await this.runtimeService.removePodSandbox(id);
    }
  }

  /** The pod's /etc/hosts (upstream makeHostsMount): the node's for host-network pods, else localhost and the pod's own name. */
  private async writeEtcHosts(pod: Pod, podIPs: readonly string[]): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const dir = join(this.options.rootDir, 'pods', uid);
    await mkdir(dir, { recursive: true, mode: 0o750 });
    let content: string;
    if (isHostNetwork(pod)) {
      content = await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1\tlocalhost\n');
    } else {
      const hostname = pod.spec?.hostname || pod.metadata?.name || '';
      content = [
        '# Kubernetes-managed hosts file.',
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'fe00::0\tip6-mcastprefix',
        'fe00::1\tip6-allnodes',
        'fe00::2\tip6-allrouters',
        ...podIPs.map((ip) => `${ip}\t${hostname}`),
        '',
      ].join('\n');
    }
    for (const alias of pod.spec?.hostAliases ?? []) content += `${alias.ip}\t${(alias.hostnames ?? []).join('\t')}\n`;
    await writeFile(join(dir, 'etc-hosts'), content, { mode: 0o644 });
  }

  logDirectory(pod: Pod): string {
    return join(this.options.podLogsDir, podLogDirName(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', pod.metadata?.uid ?? ''));
  }
}

/** The crash-loop backoff key: the pod and the container spec (a changed spec starts afresh). */
export function backoffKey(pod: Pod, container: Container): string {
  return `${pod.metadata?.uid}_${container.name}_${hashContainer(container)}`;
}

function formatSeconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

function reasonOf(error: unknown): WaitingReason {
  if (error instanceof SyncStepError) return { reason: error.reason, message: error.message };
  if (error instanceof ImageError) return { reason: error.reason, message: error.message };
  return { reason: 'RunContainerError', message: errorText(error) };
}
