import { Gauge, Histogram, type Registry } from 'prom-client';
import type { runtime } from '@kernelet/proto';
import { errorText, isUnimplemented } from '../cri/cri-error.js';
import type { RuntimeService } from '../cri/runtime-service.js';
import { groupRuntimePods, sandboxPodUID, type RuntimeStatusReader } from '../cri/runtime-status-reader.js';
import type { RuntimePod } from '../pods/runtime-status.js';
import type { Logger } from '../logging/logger.js';
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../pods/pod-naming.js';
import { monotonicNow, type PodStatusCache } from './pod-status-cache.js';

export type PlegEventType = 'ContainerStarted' | 'ContainerDied' | 'ContainerRemoved' | 'ContainerChanged';

/** A change the PLEG saw in a pod (upstream PodLifecycleEvent); the data is the container (or sandbox) ID. */
export interface PlegEvent {
  podUID: string;
  type: PlegEventType;
  containerId: string;
}

/** The pod lifecycle event generator (upstream pleg.PodLifecycleEventGenerator). */
export interface Pleg {
  /** Events in batches, one batch per relist. */
  watch(listener: (events: readonly PlegEvent[]) => void): () => void;
  /** Unhealthy when no relist succeeded within the threshold (3 minutes). */
  healthy(): { ok: boolean; message: string };
  /** "generic" (relist every second) or "evented" (the runtime streams container events). */
  readonly mode: 'generic' | 'evented';
  /** Relists now (and waits for it). */
  relist(): Promise<void>;
  /** The pods the last relist found in the runtime, by UID (undefined before the first relist). */
  runtimePods(): ReadonlyMap<string, RuntimePod> | undefined;
}
export const Pleg = Symbol('Pleg');

type State = 'running' | 'exited' | 'unknown' | 'created' | 'non-existent';

export interface PlegOptions {
  relistPeriodMs: number;
  relistThresholdMs: number;
  /** Relist period while the runtime streams events (upstream evented PLEG: 300 s). */
  eventedRelistPeriodMs: number;
  eventedRelistThresholdMs: number;
  /** Try the runtime's GetContainerEvents stream. */
  evented: boolean;
  /** The clock of relist times and the health check (monotonic ms); tests set it. */
  clock?: () => number;
}

/** How long requests to look at pods gather before they are served together. */
const ON_DEMAND_DELAY_MS = 5;

export const DEFAULT_PLEG_OPTIONS: PlegOptions = {
  relistPeriodMs: 1000,
  relistThresholdMs: 3 * 60_000,
  eventedRelistPeriodMs: 300_000,
  eventedRelistThresholdMs: 10 * 60_000,
  evented: true,
};

class PlegMetrics {
  readonly relistDuration: Histogram;
  readonly relistInterval: Histogram;
  readonly lastSeen: Gauge;
  constructor(registry: Registry, lastRelist: () => number) {
    this.relistDuration = new Histogram({
      name: 'kubelet_pleg_relist_duration_seconds',
      help: 'Duration in seconds for relisting pods in PLEG.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.relistInterval = new Histogram({
      name: 'kubelet_pleg_relist_interval_seconds',
      help: 'Interval in seconds between relisting in PLEG.',
      buckets: [0.5, 1, 1.1, 1.25, 1.5, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    });
    this.lastSeen = new Gauge({
      name: 'kubelet_pleg_last_seen_seconds',
      help: 'Timestamp in seconds when PLEG was last seen active.',
      registers: [registry],
      collect() {
        this.set(lastRelist() / 1000);
      },
    });
  }
}

/**
 * The PLEG (upstream generic.go and evented.go in one): relists the runtime's sandboxes and
 * containers, compares each container's state with the last relist, refreshes the status
 * cache for the pods that changed, and hands the changes to the pod workers. When the runtime
 * streams container events (GetContainerEvents), an event triggers a relist at once and the
 * periodic relist slows to a safety net; a runtime that answers UNIMPLEMENTED (containerd
 * 1.6) gets the 1-second relist.
 */
export class GenericPleg implements Pleg {
  private readonly listeners = new Set<(events: readonly PlegEvent[]) => void>();
  private records = new Map<string, Map<string, State>>();
  private readonly reinspect = new Set<string>();
  private lastRelist = 0;
  private lastRelistStart = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private stream: { close(): void } | undefined;
  private streamRetry: NodeJS.Timeout | undefined;
  private streamFailures = 0;
  private eventTimer: NodeJS.Timeout | undefined;
  private lastError: string | undefined;
  private metrics: PlegMetrics | undefined;
  private lastPods: Map<string, RuntimePod> | undefined;
  private demandTimer: NodeJS.Timeout | undefined;
  private readonly toInspect = new Set<string>();
  mode: 'generic' | 'evented' = 'generic';

  constructor(
    private readonly runtimeService: RuntimeService,
    private readonly reader: RuntimeStatusReader,
    private readonly cache: PodStatusCache,
    private readonly logger: Logger,
    private readonly options: PlegOptions = DEFAULT_PLEG_OPTIONS,
    registry?: Registry,
  ) {
    if (registry) this.metrics = new PlegMetrics(registry, () => this.lastRelist);
    // A worker waiting for a status newer than its last sync gets its pod looked at now, not
    // at the next relist: no worker waits a second (or, with runtime events, minutes).
    cache.onStale = (uid) => this.inspectSoon(uid);
  }

  /**
   * Looks at these pods within a few milliseconds (requests in between share the look): two
   * listings filtered by pod UID each, so a burst of pods costs the runtime little, where a
   * relist per request would list every pod each time.
   */
  private inspectSoon(uid: string): void {
    if (this.stopped) return;
    this.toInspect.add(uid);
    if (this.demandTimer) return;
    this.demandTimer = setTimeout(() => {
      this.demandTimer = undefined;
      const uids = [...this.toInspect];
      this.toInspect.clear();
      void this.inspect(uids);
    }, ON_DEMAND_DELAY_MS);
  }

  /** Refreshes these pods' records and statuses from the runtime and delivers their events. */
  private async inspect(uids: readonly string[]): Promise<void> {
    const started = monotonicNow();
    const events: PlegEvent[] = [];
    await Promise.all(
      uids.map(async (uid) => {
        try {
          const { sandboxes, containers } = await this.reader.listPod(uid);
          const after = new Map<string, State>();
          for (const sb of sandboxes) after.set(sb.id, sb.state === 0 ? 'running' : 'exited');
          for (const c of containers) after.set(c.id, stateOf(c.state));
          const before = this.records.get(uid) ?? new Map<string, State>();
          for (const id of new Set([...before.keys(), ...after.keys()])) events.push(...generateEvents(uid, id, before.get(id) ?? 'non-existent', after.get(id) ?? 'non-existent'));
          if (after.size > 0) this.records.set(uid, after);
          else this.records.delete(uid);
          const pod = groupRuntimePods(sandboxes, containers).get(uid);
          if (pod) this.lastPods?.set(uid, pod);
          else this.lastPods?.delete(uid);
          const first = sandboxes[0];
          const status = await this.reader.build(uid, first?.metadata?.name ?? '', first?.metadata?.namespace ?? '', sandboxes, containers);
          this.cache.set(uid, status, undefined, started);
        } catch (error) {
          // The next relist looks again; the worker waits for it.
          this.reinspect.add(uid);
          this.logger.debug({ podUID: uid, err: errorText(error) }, 'PLEG: cannot inspect the pod');
        }
      }),
    );
    this.deliver(events);
  }

  watch(listener: (events: readonly PlegEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Relists once (so pod workers start from what runs), then keeps relisting. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.relist();
    if (this.options.evented) this.openStream();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.streamRetry);
    clearTimeout(this.eventTimer);
    clearTimeout(this.demandTimer);
    this.stream?.close();
    this.stream = undefined;
  }

  healthy(): { ok: boolean; message: string } {
    const threshold = this.mode === 'evented' ? this.options.eventedRelistThresholdMs : this.options.relistThresholdMs;
    if (this.lastRelist === 0) return { ok: false, message: 'pleg has yet to be successful' };
    const elapsed = this.now() - this.lastRelist;
    if (elapsed > threshold) {
      return { ok: false, message: `pleg was last seen active ${formatMs(elapsed)} ago; threshold is ${formatMs(threshold)}${this.lastError ? `: ${this.lastError}` : ''}` };
    }
    return { ok: true, message: '' };
  }

  runtimePods(): ReadonlyMap<string, RuntimePod> | undefined {
    return this.lastPods;
  }

  private now(): number {
    return (this.options.clock ?? monotonicNow)();
  }

  /** Relists now; concurrent calls share one relist (and one more after it, if asked during). */
  relist(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.doRelist().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.relist();
      }
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const period = this.mode === 'evented' ? this.options.eventedRelistPeriodMs : this.options.relistPeriodMs;
    this.timer = setTimeout(() => {
      void this.relist().finally(() => this.schedule());
    }, period);
    this.timer.unref?.();
  }

  private async doRelist(): Promise<void> {
    const started = monotonicNow();
    if (this.lastRelistStart > 0) this.metrics?.relistInterval.observe((started - this.lastRelistStart) / 1000);
    this.lastRelistStart = started;
    let listing: { sandboxes: runtime.PodSandbox[]; containers: runtime.Container[] };
    try {
      listing = await this.reader.listAll();
    } catch (error) {
      const message = errorText(error);
      if (message !== this.lastError) this.logger.warn({ err: message }, 'PLEG: unable to retrieve pods from the runtime');
      this.lastError = message;
      return;
    }
    if (this.lastError) this.logger.info('PLEG: the runtime answers again');
    this.lastError = undefined;

    const byPod = new Map<string, { sandboxes: runtime.PodSandbox[]; containers: runtime.Container[]; name: string; namespace: string }>();
    const entry = (uid: string, name: string, namespace: string) => {
      let e = byPod.get(uid);
      if (!e) {
        e = { sandboxes: [], containers: [], name, namespace };
        byPod.set(uid, e);
      }
      return e;
    };
    for (const s of listing.sandboxes) {
      const uid = sandboxPodUID(s);
      if (uid) entry(uid, s.metadata?.name ?? '', s.metadata?.namespace ?? '').sandboxes.push(s);
    }
    for (const c of listing.containers) {
      const uid = c.labels[LABEL_POD_UID];
      if (uid) entry(uid, c.labels[LABEL_POD_NAME] ?? '', c.labels[LABEL_POD_NAMESPACE] ?? '').containers.push(c);
    }

    const current = new Map<string, Map<string, State>>();
    for (const [uid, pod] of byPod) {
      const states = new Map<string, State>();
      for (const s of pod.sandboxes) states.set(s.id, s.state === 0 ? 'running' : 'exited');
      for (const c of pod.containers) states.set(c.id, stateOf(c.state));
      current.set(uid, states);
    }

    const events: PlegEvent[] = [];
    const changed = new Set<string>(this.reinspect);
    for (const uid of new Set([...this.records.keys(), ...current.keys()])) {
      const before = this.records.get(uid) ?? new Map<string, State>();
      const after = current.get(uid) ?? new Map<string, State>();
      for (const id of new Set([...before.keys(), ...after.keys()])) {
        const podEvents = generateEvents(uid, id, before.get(id) ?? 'non-existent', after.get(id) ?? 'non-existent');
        if (podEvents.length > 0) {
          events.push(...podEvents);
          changed.add(uid);
        }
      }
    }
    this.records = current;
    this.reinspect.clear();
    this.lastPods = groupRuntimePods(listing.sandboxes, listing.containers);

    await Promise.all(
      [...changed].map(async (uid) => {
        const pod = byPod.get(uid);
        try {
          const status = await this.reader.build(uid, pod?.name ?? '', pod?.namespace ?? '', pod?.sandboxes ?? [], pod?.containers ?? []);
          this.cache.set(uid, status, undefined, started);
        } catch (error) {
          this.reinspect.add(uid);
          this.cache.set(uid, this.cache.get(uid).status, error as Error, started);
          this.logger.warn({ podUID: uid, err: errorText(error) }, 'PLEG: cannot get the pod status');
        }
      }),
    );
    this.cache.updateTime(started);
    this.reader.prune(new Set(listing.containers.map((c) => c.id)), new Set(listing.sandboxes.map((s) => s.id)));
    this.lastRelist = this.now();
    this.metrics?.relistDuration.observe((monotonicNow() - started) / 1000);

    this.deliver(events);
  }

  private deliver(events: readonly PlegEvent[]): void {
    const delivered = events.filter((e) => e.type !== 'ContainerChanged');
    if (delivered.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(delivered);
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, 'PLEG listener failed');
      }
    }
  }

  private openStream(): void {
    if (this.stopped) return;
    let opened = false;
    this.stream = this.runtimeService.getContainerEvents(
      (event) => {
        if (!opened) {
          opened = true;
          this.onStreamUp();
        }
        this.onContainerEvent(event);
      },
      (error) => {
        this.stream = undefined;
        if (this.stopped) return;
        if (error && isUnimplemented(error)) {
          this.logger.info('the runtime does not stream container events (GetContainerEvents unimplemented); using the generic PLEG, relisting every second');
          this.setMode('generic');
          return;
        }
        this.streamFailures++;
        if (this.mode === 'evented') this.logger.warn({ err: error ? errorText(error) : 'stream ended' }, 'container event stream ended; relisting every second until it is back');
        this.setMode('generic');
        const delay = Math.min(30_000, 500 * 2 ** Math.min(this.streamFailures, 6));
        this.streamRetry = setTimeout(() => this.openStream(), delay);
        this.streamRetry.unref?.();
      },
    );
    // A stream that is open but quiet is fine: the first event (or none) decides nothing.
    // The runtime answers UNIMPLEMENTED at once when it has no event stream.
    setTimeout(() => {
      if (this.stream && !opened && !this.stopped) this.onStreamUp();
    }, 1000).unref?.();
  }

  private onStreamUp(): void {
    if (this.mode === 'evented') return;
    this.streamFailures = 0;
    this.logger.info('the runtime streams container events; using the evented PLEG');
    this.setMode('evented');
  }

  private setMode(mode: 'generic' | 'evented'): void {
    if (this.mode === mode) return;
    this.mode = mode;
    this.schedule();
  }

  /** A runtime event: that pod is looked at now (its statuses, sent with the event, are remembered). */
  private onContainerEvent(event: runtime.ContainerEventResponse): void {
    const sandboxId = event.podSandboxStatus?.id ?? '';
    for (const status of event.containersStatuses) if (status.id === event.containerId) this.reader.remember(status, sandboxId);
    const uid = event.podSandboxStatus ? sandboxPodUID(event.podSandboxStatus) : '';
    if (uid) this.inspectSoon(uid);
    else if (!this.eventTimer) {
      this.eventTimer = setTimeout(() => {
        this.eventTimer = undefined;
        void this.relist();
      }, 5);
    }
  }
}

function stateOf(state: runtime.ContainerState): State {
  switch (state) {
    case 0:
      return 'created';
    case 1:
      return 'running';
    case 2:
      return 'exited';
    default:
      return 'unknown';
  }
}

/** upstream generateEvents. */
export function generateEvents(podUID: string, id: string, before: State, after: State): PlegEvent[] {
  if (before === after) return [];
  const e = (type: PlegEventType): PlegEvent => ({ podUID, type, containerId: id });
  switch (after) {
    case 'running':
      return [e('ContainerStarted')];
    case 'exited':
      return [e('ContainerDied')];
    case 'unknown':
      return [e('ContainerChanged')];
    case 'non-existent':
      return before === 'exited' ? [e('ContainerRemoved')] : [e('ContainerDied'), e('ContainerRemoved')];
    default:
      // created: nothing happened worth a sync yet
      return before === 'non-existent' ? [e('ContainerChanged')] : [e('ContainerChanged')];
  }
}

function formatMs(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}
