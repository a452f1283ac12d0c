import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod, PodStatus } from '@kernelet/sdk/common';
import { AdmissionChain } from '../admission/admission-chain.js';
import { errorText } from '../cri/cri-error.js';
import type { Logger } from '../logging/logger.js';
import { NodeStatus } from '../node/node-status.js';
import { RuntimeState } from '../node/runtime-state.js';
import type { Pleg, PlegEvent } from '../pleg/pleg.js';
import { monotonicNow, type PodStatusCache } from '../pleg/pod-status-cache.js';
import { DEFAULT_GC_POLICY, selectGarbage } from './container-gc.js';
import type { KubeletUpdate } from './pod-config.js';
import type { PodCgroups } from './pod-cgroups.js';
import { PodManager } from './pod-manager.js';
import { isHostNetwork, podCreationTime, podKey, podLogDirName } from './pod-naming.js';
import type { PodRuntime } from './pod-runtime.js';
import { generatePodStatus, rejectedPodStatus, type WaitingReason } from './pod-status.js';
import { PodStore } from './pod-store.js';
import { preparePodVolumes, removePodDir } from './pod-volumes.js';
import { PodWorkers, type KillOptions, type PodSyncer } from './pod-workers.js';
import { runtimePodHasRunning, type RuntimePod, type RuntimePodStatus } from './runtime-status.js';

export interface PodLifecycleOptions {
  rootDir: string;
  podLogsDir: string;
  /** syncFrequency */
  resyncIntervalMs: number;
  /** KerneletConfiguration podHousekeepingPeriod (a fixed 2 s in the kubelet) */
  housekeepingPeriodMs: number;
  /** How often dead containers are collected (upstream ContainerGCPeriod, 1 minute). */
  containerGCPeriodMs: number;
  /** Sources that must have been seen before pods found in the runtime are stopped. */
  expectedSources: () => readonly string[];
  sourcesSeen: (expected: readonly string[]) => boolean;
  /** Gives back what resource managers allocated to a pod that has stopped for good. */
  releasePod?: (uid: string, containerNames: readonly string[]) => Promise<void>;
}

/**
 * The agent's pod loop (upstream Kubelet syncLoop and its handlers): pods from the merged
 * sources are admitted one at a time in creation order and handed to their workers; PLEG
 * events wake the workers of the pods that changed; housekeeping stops pods the runtime runs
 * that no source has (once every source has been seen), removes their leftovers (cgroups, pod
 * directories, logs) and collects dead containers. It implements the per-pod steps the workers
 * run: syncPod, syncTerminatingPod, syncTerminatedPod.
 */
export class PodLifecycle implements PodSyncer {
  readonly workers: PodWorkers;
  private readonly reasons = new Map<string, Map<string, WaitingReason>>();
  private queue: Promise<void> = Promise.resolve();
  private housekeepingTimer: NodeJS.Timeout | undefined;
  private gcTimer: NodeJS.Timeout | undefined;
  private housekeeping: Promise<void> | undefined;
  private stopped = false;
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly options: PodLifecycleOptions,
    private readonly podManager: PodManager,
    private readonly podStore: PodStore,
    private readonly admission: AdmissionChain,
    private readonly runtime: PodRuntime,
    private readonly cache: PodStatusCache,
    private readonly pleg: Pleg,
    private readonly cgroups: PodCgroups,
    private readonly runtimeState: RuntimeState,
    private readonly node: NodeStatus,
    private readonly logger: Logger,
  ) {
    this.workers = new PodWorkers(
      this,
      cache,
      { resyncIntervalMs: options.resyncIntervalMs, maxErrorBackoffMs: 10_000, onFinished: (uid, deleted, restart) => this.onFinished(uid, deleted, restart) },
      logger,
    );
  }

  start(): void {
    this.unsubscribe.push(this.pleg.watch((events) => this.onPlegEvents(events)));
    this.unsubscribe.push(
      this.runtimeState.onRuntimeChange((up) => {
        if (up) {
          this.logger.info('container runtime is up; syncing every pod');
          void this.pleg.relist().then(() => this.workers.syncAll());
        }
      }),
    );
    this.unsubscribe.push(
      this.podStore.onTerminate((record, request) => {
        this.workers.updatePod({
          type: 'kill',
          pod: record.pod,
          kill: { ...(request.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: request.gracePeriodSeconds } : {}), status: { phase: request.phase, reason: request.reason, message: request.message } },
        });
      }),
    );
    const housekeep = () => {
      this.housekeeping ??= this.housekeep().finally(() => (this.housekeeping = undefined));
    };
    this.housekeepingTimer = setInterval(housekeep, this.options.housekeepingPeriodMs);
    this.housekeepingTimer.unref?.();
    this.gcTimer = setInterval(() => void this.collectGarbage(), this.options.containerGCPeriodMs);
    this.gcTimer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.housekeepingTimer);
    clearInterval(this.gcTimer);
    for (const u of this.unsubscribe.splice(0)) u();
    this.workers.stop();
    await this.queue;
  }

  /** Applies a merged pod-source change; changes are handled one at a time, in order. */
  handle(update: KubeletUpdate): Promise<void> {
    const run = this.queue.then(() => this.apply(update)).catch((error: Error) => this.logger.error({ err: error.message, op: update.op, source: update.source }, 'handling a pod update failed'));
    this.queue = run;
    return run;
  }

  private async apply(update: KubeletUpdate): Promise<void> {
    if (this.stopped) return;
    switch (update.op) {
      case 'ADD':
        await this.handleAdditions(update.pods, update.source);
        break;
      case 'UPDATE':
      case 'DELETE':
        for (const pod of update.pods) {
          this.podManager.set(pod);
          const uid = pod.metadata?.uid ?? '';
          if (this.workers.state(uid)) this.workers.updatePod({ type: 'update', pod });
        }
        break;
      case 'REMOVE':
        for (const pod of update.pods) {
          const uid = pod.metadata?.uid ?? '';
          this.podManager.remove(uid);
          this.logger.info({ pod: podKey(pod), podUID: uid, source: update.source }, 'pod removed from its source; stopping it');
          if (this.workers.state(uid)) this.workers.updatePod({ type: 'kill', pod, kill: { deleted: true } });
          else this.forgetPod(uid);
        }
        break;
      case 'RECONCILE':
        break;
    }
  }

  /** upstream HandlePodAdditions: in creation order, each admitted against the pods admitted before it. */
  private async handleAdditions(pods: readonly Pod[], source: string): Promise<void> {
    const sorted = [...pods].sort((a, b) => podCreationTime(a) - podCreationTime(b));
    for (const pod of sorted) {
      const uid = pod.metadata?.uid ?? '';
      this.podManager.set(pod);
      const known = this.workers.state(uid);
      if (known || this.podStore.get(uid)) {
        this.workers.updatePod({ type: 'create', pod });
        continue;
      }
      if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') continue;
      const result = await this.admission.admit(pod);
      if (!result.admit) {
        const status = rejectedPodStatus(pod, result.reason, result.message, Date.now());
        this.podManager.setStatus(uid, status);
        // Upstream records a Warning event with the handler's reason and message; this is ours.
        this.logger.warn({ pod: podKey(pod), podUID: uid, source, reason: result.reason, message: result.message }, 'pod failed admission; it ends Failed');
        continue;
      }
      this.logger.info({ pod: podKey(pod), podUID: uid, source }, 'pod admitted');
      this.workers.updatePod({ type: 'create', pod });
    }
  }

  private onPlegEvents(events: readonly PlegEvent[]): void {
    const uids = new Set(events.map((e) => e.podUID));
    for (const uid of uids) {
      const pod = this.podManager.get(uid);
      const state = this.workers.state(uid);
      if (pod && state && !state.finished) this.workers.updatePod({ type: 'sync', pod });
    }
    const died = new Set(events.filter((e) => e.type === 'ContainerDied').map((e) => e.podUID));
    if (died.size > 0) void this.cleanupDeadContainers(died);
  }

  // ---- the workers' steps ------------------------------------------------------------------

  async syncPod(pod: Pod, status: RuntimePodStatus): Promise<{ terminal: boolean; requeueAfterMs?: number }> {
    const uid = pod.metadata?.uid ?? '';
    const apiStatus = this.generateStatus(pod, status, false);
    this.podManager.setStatus(uid, apiStatus);
    if (apiStatus.phase === 'Failed' || apiStatus.phase === 'Succeeded') return { terminal: true };
    if (!this.runtimeState.runtimeUp) throw new Error(`not syncing pod: ${this.runtimeState.errors()[0] ?? 'container runtime is down'}`);
    if (!isHostNetwork(pod)) {
      const networkError = this.runtimeState.errors().find((e) => e.startsWith('container runtime network not ready'));
      if (networkError) throw new Error(`network is not ready: ${networkError}`);
    }
    await this.cgroups.ensurePodCgroup(pod);
    const volumes = await preparePodVolumes(this.options.rootDir, pod);
    const result = await this.runtime.syncPod(pod, status, volumes);
    let reasons = this.reasons.get(uid);
    for (const [name, reason] of result.reasons) {
      if (reason === null) reasons?.delete(name);
      else {
        reasons ??= new Map();
        reasons.set(name, reason);
        this.reasons.set(uid, reasons);
      }
    }
    if (result.reasons.size > 0) this.podManager.setStatus(uid, this.generateStatus(pod, status, false));
    if (result.error) {
      const onlyBackoff = [...result.reasons.values()].every((r) => r === null || r.reason === 'CrashLoopBackOff' || r.reason === 'ImagePullBackOff');
      if (onlyBackoff && result.requeueAfterMs !== undefined) return { terminal: false, requeueAfterMs: result.requeueAfterMs + 50 };
      throw result.error;
    }
    return { terminal: false, ...(result.requeueAfterMs !== undefined ? { requeueAfterMs: result.requeueAfterMs + 50 } : {}) };
  }

  async syncTerminatingPod(pod: Pod, _cached: RuntimePodStatus, gracePeriodSeconds: number | undefined, kill: KillOptions | undefined): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const started = performance.now();
    const status = await this.runtime.podStatus(uid, pod.metadata?.name ?? '', pod.metadata?.namespace ?? '');
    this.podManager.setStatus(uid, this.generateStatus(pod, status, false));
    await this.runtime.killPod(pod, status, gracePeriodSeconds);
    const after = await this.runtime.podStatus(uid, pod.metadata?.name ?? '', pod.metadata?.namespace ?? '');
    const running = after.containers.filter((c) => c.state === 'running');
    if (running.length > 0) throw new Error(`detected running containers after a successful KillPod: ${running.map((c) => c.name).join(', ')}`);
    this.cache.set(uid, after, undefined, monotonicNow());
    let final = this.generateStatus(pod, after, true);
    if (kill?.status) final = { ...final, phase: kill.status.phase, reason: kill.status.reason, message: kill.status.message };
    this.podManager.setStatus(uid, final);
    this.logger.info({ pod: podKey(pod), podUID: uid, durationMs: Math.round(performance.now() - started) }, 'pod stopped');
  }

  async syncTerminatingRuntimePod(running: RuntimePod, gracePeriodSeconds: number | undefined): Promise<void> {
    await this.runtime.killPod(undefined, running, gracePeriodSeconds);
    this.logger.info({ pod: `${running.namespace}/${running.name}`, podUID: running.uid }, 'pod found in the runtime stopped');
  }

  async syncTerminatedPod(pod: Pod | undefined, uid: string, deleted: boolean): Promise<void> {
    if (deleted) {
      await this.runtime.removePod(uid);
      await removePodDir(this.options.rootDir, uid);
      if (pod) await rm(join(this.options.podLogsDir, podLogDirName(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', uid)), { recursive: true, force: true });
    }
    if (!(await this.cgroups.removePodCgroup(uid))) this.logger.debug({ podUID: uid }, 'pod cgroup still busy; housekeeping removes it later');
    if (this.options.releasePod) {
      const names = [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])].map((c) => c.name);
      await this.options.releasePod(uid, names).catch((error: Error) => this.logger.warn({ podUID: uid, err: error.message }, 'releasing the pod resources failed'));
    }
    if (deleted && pod) this.logger.info({ pod: podKey(pod), podUID: uid }, 'pod removed');
  }

  private onFinished(uid: string, deleted: boolean, restart: Pod | undefined): void {
    this.podStore.remove(uid);
    if (deleted) this.forgetPod(uid);
    // The same UID came back while it was stopping: admit it again, then start it.
    if (restart && this.podManager.has(uid)) {
      this.podManager.deleteStatus(uid);
      this.reasons.delete(uid);
      void this.handle({ op: 'ADD', pods: [restart], source: 'restart' });
    }
  }

  private forgetPod(uid: string): void {
    if (this.podManager.has(uid)) return;
    this.podManager.deleteStatus(uid);
    this.reasons.delete(uid);
    this.cache.delete(uid);
    this.workers.forget(uid);
    this.runtime.forgetPod(uid);
  }

  private generateStatus(pod: Pod, status: RuntimePodStatus, podIsTerminal: boolean): PodStatus {
    const uid = pod.metadata?.uid ?? '';
    return generatePodStatus({
      pod,
      runtime: status,
      reasons: this.reasons.get(uid) ?? new Map(),
      previous: this.podManager.status(uid),
      podIsTerminal,
      nodeIPs: this.node.nodeIPs,
      runtimeName: this.runtime.runtimeName,
      now: Date.now(),
    });
  }

  // ---- housekeeping --------------------------------------------------------------------------

  /** upstream HandlePodCleanups: stops and removes what no source wants, once every source was seen. */
  private async housekeep(): Promise<void> {
    if (this.stopped || !this.runtimeState.runtimeUp) return;
    const expected = this.options.expectedSources();
    if (!this.options.sourcesSeen(expected)) return;
    // Every source has been heard from: a pod missing from the store is really gone.
    this.podStore.synced = true;
    const runtimePods = this.pleg.runtimePods();
    if (!runtimePods) return;
    const known = this.workers.knownUIDs();
    try {
      for (const [uid, rp] of runtimePods) {
        if (known.has(uid) || this.podManager.has(uid)) continue;
        if (runtimePodHasRunning(rp)) {
          this.workers.updatePod({ type: 'kill', runningPod: rp, kill: { gracePeriodSeconds: 1, deleted: true } });
        } else {
          this.logger.info({ pod: `${rp.namespace}/${rp.name}`, podUID: uid }, 'removing the stopped containers of a pod no source has');
          await this.runtime.removePod(uid);
        }
      }
      const busy = new Set([...this.workers.activeUIDs(), ...[...runtimePods.values()].filter(runtimePodHasRunning).map((p) => p.uid)]);
      for (const uid of await this.cgroups.listPodCgroups()) {
        if (!busy.has(uid) && !this.podManager.has(uid)) await this.cgroups.removePodCgroup(uid);
      }
      const present = new Set([...known, ...this.podManager.list().map((p) => p.metadata?.uid ?? ''), ...runtimePods.keys()]);
      for (const uid of await readdir(join(this.options.rootDir, 'pods')).catch(() => [] as string[])) {
        if (!present.has(uid)) await removePodDir(this.options.rootDir, uid);
      }
      // Log directories (namespace_name_uid) of pods that are gone everywhere.
      for (const dir of await readdir(this.options.podLogsDir).catch(() => [] as string[])) {
        const uid = /^[^_]+_[^_]+_([0-9a-zA-Z-]+)$/.exec(dir)?.[1];
        if (uid && !present.has(uid)) await rm(join(this.options.podLogsDir, dir), { recursive: true, force: true });
      }
      for (const pod of this.podManager.list()) {
        const uid = pod.metadata?.uid ?? '';
        const phase = this.podManager.status(uid)?.phase;
        if (!known.has(uid) && phase !== 'Failed' && phase !== 'Succeeded' && !this.podStore.get(uid)) {
          // Desired, not rejected, with no worker: admit and start it (a pod restarted after its UID finished).
          await this.handle({ op: 'ADD', pods: [pod], source: 'housekeeping' });
        }
      }
    } catch (error) {
      this.logger.warn({ err: errorText(error) }, 'pod housekeeping failed');
    }
  }

  private async cleanupDeadContainers(uids: ReadonlySet<string>): Promise<void> {
    const pods = this.pleg.runtimePods();
    if (!pods) return;
    const subset = new Map([...pods].filter(([uid]) => uids.has(uid)));
    await this.removeGarbage(subset);
  }

  /** Periodic container GC over every pod the runtime has. */
  async collectGarbage(): Promise<void> {
    if (this.stopped || !this.runtimeState.runtimeUp) return;
    const pods = this.pleg.runtimePods();
    if (!pods || !this.options.sourcesSeen(this.options.expectedSources())) return;
    await this.removeGarbage(pods);
  }

  private async removeGarbage(pods: ReadonlyMap<string, RuntimePod>): Promise<void> {
    const known = this.workers.knownUIDs();
    const garbage = selectGarbage(pods, (uid) => this.podManager.has(uid) || known.has(uid), DEFAULT_GC_POLICY, Date.now());
    if (garbage.containers.length === 0 && garbage.sandboxes.length === 0) return;
    try {
      await this.runtime.removeContainers(garbage.containers);
      await this.runtime.removeSandboxes(garbage.sandboxes);
      this.logger.debug({ containers: garbage.containers.length, sandboxes: garbage.sandboxes.length }, 'dead containers collected');
    } catch (error) {
      this.logger.warn({ err: errorText(error) }, 'container garbage collection failed');
    }
  }
}
