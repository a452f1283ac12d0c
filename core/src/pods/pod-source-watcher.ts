import type { Startable } from '../agent/lifecycle.js';
import { Contributions } from '../extension-points/contributions.js';
import { PodSource, type PodSubscription, type PodUpdate } from '../extension-points/pod-source.js';
import type { Logger } from '../logging/logger.js';
import type { PluginRegistry } from '../plugin-registry/plugin-registry.js';
import type { PodConfig } from './pod-config.js';
import type { PodLifecycle } from './pod-lifecycle.js';

interface Watch {
  subscription: PodSubscription | undefined;
  sources: Set<string>;
  retry: NodeJS.Timeout | undefined;
  failures: number;
}

/**
 * Watches every PodSource (built-in or plugin) and feeds the merged changes to the pod loop.
 * A source plugin that registers is watched at once; one whose stream breaks keeps its pods
 * (nothing is stopped for a source that went quiet), is marked unseen, and is watched again,
 * with backoff while it stays registered and at once when it registers again.
 */
export class PodSourceWatcher implements Startable {
  readonly name = 'pod-sources';
  private readonly watches = new Map<PodSource, Watch>();
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly contributions: Contributions,
    private readonly registry: PluginRegistry,
    private readonly config: PodConfig,
    private readonly lifecycle: PodLifecycle,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = this.registry.onDidChange(() => this.reconcile());
    this.reconcile();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const w of this.watches.values()) {
      clearTimeout(w.retry);
      w.subscription?.close();
    }
    this.watches.clear();
  }

  private reconcile(): void {
    if (this.stopped) return;
    const current = new Set(this.contributions.getAll<PodSource>(PodSource));
    for (const [source, w] of this.watches) {
      if (current.has(source)) continue;
      clearTimeout(w.retry);
      w.subscription?.close();
      this.watches.delete(source);
      this.lost(source, w, 'the pod source plugin is gone');
    }
    for (const source of current) if (!this.watches.has(source)) this.open(source, { subscription: undefined, sources: new Set(), retry: undefined, failures: 0 });
  }

  private open(source: PodSource, w: Watch): void {
    this.watches.set(source, w);
    w.subscription = source.watch(
      (update) => this.onUpdate(source, w, update),
      (error) => {
        w.subscription = undefined;
        if (this.stopped || this.watches.get(source) !== w) return;
        this.lost(source, w, error ? error.message : 'the stream ended');
        w.failures++;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(w.failures - 1, 6));
        w.retry = setTimeout(() => {
          if (!this.stopped && this.watches.get(source) === w) this.open(source, w);
        }, delay);
        w.retry.unref?.();
      },
    );
  }

  private onUpdate(source: PodSource, w: Watch, update: PodUpdate): void {
    w.failures = 0;
    w.sources.add(update.source);
    if (update.op === 'SET') this.logger.debug({ plugin: source.name, source: update.source, pods: update.pods.length }, 'pod source sent its full set');
    for (const change of this.config.merge(update)) void this.lifecycle.handle(change);
  }

  private lost(source: PodSource, w: Watch, why: string): void {
    for (const name of w.sources) this.config.markUnseen(name);
    this.logger.warn({ plugin: source.name, sources: [...w.sources], reason: why }, 'pod source stream lost; its pods keep running and the source counts as unseen until it sends its pods again');
  }
}
