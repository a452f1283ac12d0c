import type { Pod } from '@kernelet/sdk/common';
import type { Logger } from '../logging/logger.js';
import { monotonicNow } from '../pleg/pod-status-cache.js';
import { isStaticPod, podFullName, podKey } from './pod-naming.js';
import type { RuntimePod, RuntimePodStatus } from './runtime-status.js';

export type UpdateType = 'create' | 'update' | 'sync' | 'kill';

export interface KillOptions {
  /** Overrides the pod's terminationGracePeriodSeconds (a shorter one wins). */
  gracePeriodSeconds?: number;
  /** The pod left its source: once stopped, its containers and sandboxes are removed too. */
  deleted?: boolean;
  /** The final status to record (an eviction through the Host API). */
  status?: { phase: 'Failed' | 'Succeeded'; reason: string; message: string };
}

export interface UpdatePodOptions {
  type: UpdateType;
  /** The pod; absent for a pod only the runtime knows (an orphan to stop). */
  pod?: Pod;
  runningPod?: RuntimePod;
  kill?: KillOptions;
}

/** The kubelet's side of a pod's lifecycle, called by the pod's worker (upstream syncPod, syncTerminatingPod, syncTerminatedPod). */
export interface PodSyncer {
  /** Brings the pod towards its spec; returns terminal when the pod has finished for good. Throws to retry with backoff. */
  syncPod(pod: Pod, status: RuntimePodStatus): Promise<{ terminal: boolean; requeueAfterMs?: number }>;
  /** Stops every container and the sandbox, honouring the grace period and preStop hooks. */
  syncTerminatingPod(pod: Pod, status: RuntimePodStatus, gracePeriodSeconds: number | undefined, kill: KillOptions | undefined): Promise<void>;
  /** Stops a pod the agent has no spec for (found in the runtime). */
  syncTerminatingRuntimePod(running: RuntimePod, gracePeriodSeconds: number | undefined): Promise<void>;
  /** Cleans up after a stopped pod: cgroups, volumes; and when deleted, its containers and sandbox. */
  syncTerminatedPod(pod: Pod | undefined, uid: string, deleted: boolean): Promise<void>;
}

export interface StatusSource {
  getNewerThan(uid: string, minTime: number): Promise<{ status: RuntimePodStatus; error: Error | undefined }>;
  get(uid: string): { status: RuntimePodStatus; error: Error | undefined };
}

export type WorkerState = 'syncing' | 'terminating' | 'terminated';

interface PodSyncStatus {
  uid: string;
  fullname: string;
  isStatic: boolean;
  pod: Pod | undefined;
  runningPod: RuntimePod | undefined;
  state: WorkerState;
  /** A static pod may start only when no other pod of its full name runs. */
  started: boolean;
  finished: boolean;
  deleted: boolean;
  restartRequested: boolean;
  gracePeriodSeconds: number | undefined;
  kill: KillOptions | undefined;
  pending: boolean;
  working: boolean;
  lastSyncTime: number;
  timer: NodeJS.Timeout | undefined;
  errors: number;
  cleanupAgain: boolean;
}

export interface PodWorkersOptions {
  /** syncFrequency: a pod with nothing to do is synced again after this (jittered up to +50%). */
  resyncIntervalMs: number;
  /** The longest delay between retries of a failing sync (upstream backOffPeriod, 10 s). */
  maxErrorBackoffMs: number;
  /**
   * Called when a worker finished a pod. `restart` is the pod when a new incarnation of the
   * same UID is waiting: its worker is gone, and the caller admits and starts it afresh.
   */
  onFinished?(uid: string, deleted: boolean, restart: Pod | undefined): void;
}

/**
 * One worker per pod (upstream pod_workers.go): updates for a pod are applied one at a time,
 * the latest update winning; a pod moves from syncing to terminating (asked to stop, or
 * finished for good) to terminated, and never back. A static pod does not start while
 * another pod with its full name is still running (an edited manifest replaces the pod), and
 * a pod whose UID is still terminating is not started again until its worker has finished.
 */
export class PodWorkers {
  private readonly statuses = new Map<string, PodSyncStatus>();
  private readonly startedStaticByFullname = new Map<string, string>();
  private readonly waitingStaticByFullname = new Map<string, string[]>();
  private stopped = false;

  constructor(
    private readonly syncer: PodSyncer,
    private readonly cache: StatusSource,
    private readonly options: PodWorkersOptions,
    private readonly logger: Logger,
  ) {}

  updatePod(options: UpdatePodOptions): void {
    const uid = options.pod?.metadata?.uid ?? options.runningPod?.uid ?? '';
    if (!uid || this.stopped) return;
    let s = this.statuses.get(uid);
    if (!s) {
      if (!options.pod) {
        if (options.type !== 'kill' || !options.runningPod) return;
        s = this.newStatus(uid, undefined, options.runningPod);
        s.state = 'terminating';
        s.started = true;
        s.deleted = true;
        s.gracePeriodSeconds = options.kill?.gracePeriodSeconds;
        this.statuses.set(uid, s);
        this.logger.info({ podUID: uid, pod: `${options.runningPod.namespace}/${options.runningPod.name}` }, 'stopping a pod found in the runtime that no source has');
        this.wake(s);
        return;
      }
      if (options.type === 'kill') return;
      s = this.newStatus(uid, options.pod, undefined);
      this.statuses.set(uid, s);
      if (s.isStatic) this.enqueueStatic(s);
    } else if (s.finished) {
      if (options.pod) s.pod = options.pod;
      if (options.type === 'create') {
        s.restartRequested = true;
        this.logger.info({ pod: podKey(options.pod ?? ({} as Pod)), podUID: uid }, 'pod with this UID is finishing its previous run; it starts again once that is done');
      }
      if (options.type === 'kill' && options.kill?.deleted && !s.deleted) {
        s.deleted = true;
        s.restartRequested = false;
        s.cleanupAgain = true;
        this.wake(s);
      }
      return;
    }
    if (options.pod) s.pod = options.pod;
    if (options.runningPod) s.runningPod = options.runningPod;
    if (options.type === 'create' && s.state !== 'syncing' && !s.deleted) {
      // The same UID was added again while it stops: it starts afresh once this run is over.
      s.restartRequested = true;
      return;
    }
    if (options.type === 'create' && s.state !== 'syncing' && s.deleted) {
      s.deleted = false;
      s.restartRequested = true;
      return;
    }
    if (options.type === 'kill' || options.pod?.metadata?.deletionTimestamp) {
      if (options.kill?.deleted) {
        s.deleted = true;
        s.restartRequested = false;
      }
      if (options.kill?.status && !s.kill?.status) s.kill = { ...s.kill, status: options.kill.status };
      const grace = options.kill?.gracePeriodSeconds;
      if (grace !== undefined && (s.gracePeriodSeconds === undefined || grace < s.gracePeriodSeconds)) s.gracePeriodSeconds = grace;
      if (s.state === 'syncing') {
        if (s.isStatic && !s.started) {
          // Never started: nothing to stop.
          this.dequeueStatic(s);
          s.state = 'terminated';
          s.started = true;
        } else {
          s.state = 'terminating';
        }
      }
    }
    this.wake(s);
  }

  /** The worker state of a pod (undefined when it has none). */
  state(uid: string): { state: WorkerState; finished: boolean; deleted: boolean } | undefined {
    const s = this.statuses.get(uid);
    return s ? { state: s.state, finished: s.finished, deleted: s.deleted } : undefined;
  }

  /** Pods whose containers may still be running (not finished terminating). */
  activeUIDs(): Set<string> {
    return new Set([...this.statuses.values()].filter((s) => s.state !== 'terminated').map((s) => s.uid));
  }

  /** All pods with a worker (any state). */
  knownUIDs(): Set<string> {
    return new Set(this.statuses.keys());
  }

  isTerminationRequested(uid: string): boolean {
    const s = this.statuses.get(uid);
    return s !== undefined && s.state !== 'syncing';
  }

  /** Forgets finished workers of pods that left their source (upstream SyncKnownPods). */
  forget(uid: string): void {
    const s = this.statuses.get(uid);
    if (!s || !s.finished || s.working) return;
    clearTimeout(s.timer);
    this.statuses.delete(uid);
  }

  /** Syncs every pod now (the runtime came back). */
  syncAll(): void {
    for (const s of this.statuses.values()) if (!s.finished) this.wake(s);
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.statuses.values()) clearTimeout(s.timer);
  }

  private newStatus(uid: string, pod: Pod | undefined, runningPod: RuntimePod | undefined): PodSyncStatus {
    return {
      uid,
      fullname: pod ? podFullName(pod) : `${runningPod?.name ?? ''}_${runningPod?.namespace ?? ''}`,
      isStatic: pod ? isStaticPod(pod) : false,
      pod,
      runningPod,
      state: 'syncing',
      started: pod ? !isStaticPod(pod) : true,
      finished: false,
      deleted: false,
      restartRequested: false,
      gracePeriodSeconds: undefined,
      kill: undefined,
      pending: false,
      working: false,
      lastSyncTime: 0,
      timer: undefined,
      errors: 0,
      cleanupAgain: false,
    };
  }

  private wake(s: PodSyncStatus): void {
    s.pending = true;
    clearTimeout(s.timer);
    s.timer = undefined;
    if (!s.working) void this.work(s);
  }

  private requeue(s: PodSyncStatus, delayMs: number): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      s.timer = undefined;
      if (!this.stopped && !s.finished) this.wake(s);
    }, delayMs);
    s.timer.unref?.();
  }

  private async work(s: PodSyncStatus): Promise<void> {
    s.working = true;
    try {
      while (s.pending && !this.stopped) {
        s.pending = false;
        if (s.finished && !s.cleanupAgain) break;
        try {
          if (s.finished && s.cleanupAgain) {
            s.cleanupAgain = false;
            await this.syncer.syncTerminatedPod(s.pod, s.uid, true);
            this.finish(s);
            continue;
          }
          if (s.state === 'syncing') {
            if (!s.started) {
              if (!this.allowStaticStart(s)) break;
              s.started = true;
            }
            const { status, error } = await this.cache.getNewerThan(s.uid, s.lastSyncTime);
            if (error) throw error;
            if (s.state !== 'syncing') {
              s.pending = true;
              continue;
            }
            const result = await this.syncer.syncPod(s.pod as Pod, status);
            s.lastSyncTime = monotonicNow();
            s.errors = 0;
            if (result.terminal && s.state === 'syncing') {
              this.logger.info({ pod: podKey(s.pod as Pod), podUID: s.uid }, 'pod finished; stopping it');
              s.state = 'terminating';
              s.pending = true;
              continue;
            }
            const resync = this.options.resyncIntervalMs * (1 + Math.random() * 0.5);
            this.requeue(s, Math.min(resync, result.requeueAfterMs ?? Infinity));
          } else if (s.state === 'terminating') {
            // The terminating step asks the runtime itself; the cached status is only a hint.
            const { status } = this.cache.get(s.uid);
            if (s.pod) await this.syncer.syncTerminatingPod(s.pod, status, s.gracePeriodSeconds, s.kill);
            else if (s.runningPod) await this.syncer.syncTerminatingRuntimePod(s.runningPod, s.gracePeriodSeconds);
            s.lastSyncTime = monotonicNow();
            s.errors = 0;
            s.state = 'terminated';
            this.releaseStatic(s);
            s.pending = true;
          } else {
            await this.syncer.syncTerminatedPod(s.pod, s.uid, s.deleted);
            s.errors = 0;
            this.finish(s);
          }
        } catch (error) {
          s.errors++;
          const delay = Math.min(this.options.maxErrorBackoffMs, 500 * 2 ** Math.min(s.errors - 1, 10));
          this.logger.warn(
            { pod: s.pod ? podKey(s.pod) : s.fullname, podUID: s.uid, state: s.state, err: (error as Error).message, retryInMs: delay, failures: s.errors },
            'pod sync failed; retrying after backoff',
          );
          this.requeue(s, delay);
        }
      }
    } finally {
      s.working = false;
      if (s.pending && !this.stopped && !(s.finished && !s.cleanupAgain)) void this.work(s);
    }
  }

  private finish(s: PodSyncStatus): void {
    s.finished = true;
    clearTimeout(s.timer);
    s.timer = undefined;
    this.releaseStatic(s);
    const restart = s.restartRequested && !s.deleted ? s.pod : undefined;
    if (restart) {
      // A new incarnation of the same UID waits: forget this one so it can start afresh.
      this.statuses.delete(s.uid);
      this.logger.info({ pod: podKey(restart), podUID: s.uid }, 'the previous run of the pod finished; starting it again');
    }
    this.options.onFinished?.(s.uid, s.deleted, restart);
  }

  private enqueueStatic(s: PodSyncStatus): void {
    const list = this.waitingStaticByFullname.get(s.fullname) ?? [];
    list.push(s.uid);
    this.waitingStaticByFullname.set(s.fullname, list);
  }

  private dequeueStatic(s: PodSyncStatus): void {
    const list = (this.waitingStaticByFullname.get(s.fullname) ?? []).filter((u) => u !== s.uid);
    if (list.length > 0) this.waitingStaticByFullname.set(s.fullname, list);
    else this.waitingStaticByFullname.delete(s.fullname);
  }

  private allowStaticStart(s: PodSyncStatus): boolean {
    const running = this.startedStaticByFullname.get(s.fullname);
    if (running !== undefined && running !== s.uid) {
      this.logger.info({ pod: podKey(s.pod as Pod), podUID: s.uid, waitingFor: running }, 'static pod waits for the previous pod of the same name to stop');
      return false;
    }
    const waiting = this.waitingStaticByFullname.get(s.fullname) ?? [];
    // First come, first served, skipping pods that were stopped before they started.
    const first = waiting.find((uid) => {
      const other = this.statuses.get(uid);
      return other !== undefined && other.state === 'syncing' && !other.finished;
    });
    if (first !== undefined && first !== s.uid) return false;
    this.dequeueStatic(s);
    this.startedStaticByFullname.set(s.fullname, s.uid);
    return true;
  }

  private releaseStatic(s: PodSyncStatus): void {
    if (this.startedStaticByFullname.get(s.fullname) !== s.uid) return;
    this.startedStaticByFullname.delete(s.fullname);
    for (const uid of this.waitingStaticByFullname.get(s.fullname) ?? []) {
      const next = this.statuses.get(uid);
      if (next && next.state === 'syncing' && !next.started) {
        this.wake(next);
        break;
      }
    }
  }
}
