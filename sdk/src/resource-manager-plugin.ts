import { inject, injectable } from 'tsyringe';
import type { AllocateResult, AllocationList, Pod, ProviderHints, TopologyHint } from './common/index.js';
import { definePlugin, type HandlerLifecycle, type HintProviderImpl, type PluginContext, type PluginDefinition } from './define-plugin.js';
import { PLUGIN_CONTEXT } from './tokens.js';

type Awaitable<T> = T | Promise<T>;

/**
 * A stateful resource manager (CPU, memory, devices): the hint-provider handlers plus
 * the state lifecycle the kubelet's managers share.
 */
export interface ResourceManager {
  /**
   * Restores the manager's state. activePods is every pod on the node when the agent
   * knows them all, undefined otherwise (then nothing may be dropped as stale). Throw to
   * refuse the registration; the message, with its remedy, reaches the operator.
   */
  start(activePods: Pod[] | undefined): Awaitable<void>;
  getTopologyHints(pod: Pod, containerName: string): Awaitable<ProviderHints>;
  getPodTopologyHints(pod: Pod): Awaitable<ProviderHints>;
  allocate(pod: Pod, containerName: string, hint: TopologyHint): Awaitable<AllocateResult>;
  removeContainer(podUID: string, containerName: string): Awaitable<void>;
  listAllocations(): Awaitable<AllocationList>;
  /** Drops what containers no longer on the node hold. */
  removeStaleState(activePods: Pod[]): Awaitable<void>;
  /** How often stale state is dropped (default 10 s, the kubelet's reconcile period). */
  readonly reconcilePeriodMs?: number;
  stop?(): Awaitable<void>;
}

export interface ResourceManagerPluginSpec {
  name: string;
  /** Builds the manager for a configuration; throw to refuse the registration. */
  create(ctx: PluginContext): Awaitable<ResourceManager>;
}

const DEFAULT_RECONCILE_MS = 10_000;

/**
 * A hint-provider plugin around a resource manager: built and started afresh for each
 * configuration the agent sends, with stale state dropped every reconcile period, but
 * only once the agent has heard from every pod source (before that, a pod missing from
 * the agent's list may simply not have been read yet).
 */
export function defineResourceManagerPlugin(spec: ResourceManagerPluginSpec): PluginDefinition {
  @injectable()
  class ResourceManagerHintProvider implements HintProviderImpl, HandlerLifecycle {
    private manager: ResourceManager | undefined;
    private timer: NodeJS.Timeout | undefined;

    constructor(@inject(PLUGIN_CONTEXT) private readonly ctx: PluginContext) {}

    async init(): Promise<void> {
      const manager = await spec.create(this.ctx);
      await manager.start(await this.activePods());
      this.manager = manager;
      this.timer = setInterval(() => void this.reconcile(), manager.reconcilePeriodMs ?? DEFAULT_RECONCILE_MS);
      this.timer.unref();
    }

    async dispose(): Promise<void> {
      if (this.timer) clearInterval(this.timer);
      await this.manager?.stop?.();
    }

    getTopologyHints(pod: Pod, containerName: string) {
      return this.started().getTopologyHints(pod, containerName);
    }

    getPodTopologyHints(pod: Pod) {
      return this.started().getPodTopologyHints(pod);
    }

    allocate(pod: Pod, containerName: string, hint: TopologyHint) {
      return this.started().allocate(pod, containerName, hint);
    }

    removeContainer(podUID: string, containerName: string) {
      return this.started().removeContainer(podUID, containerName);
    }

    listAllocations() {
      return this.started().listAllocations();
    }

    private async activePods(): Promise<Pod[] | undefined> {
      try {
        const list = await this.ctx.host.listPods();
        return list.synced ? list.pods.filter((p) => !p.terminating).map((p) => p.pod) : undefined;
      } catch (error) {
        this.ctx.logger.debug({ err: (error as Error).message }, 'cannot list pods from the agent; keeping all state');
        return undefined;
      }
    }

    private async reconcile(): Promise<void> {
      const active = await this.activePods();
      if (!active || !this.manager) return;
      try {
        await this.manager.removeStaleState(active);
      } catch (error) {
        this.ctx.logger.warn({ err: (error as Error).message }, 'dropping stale state failed');
      }
    }

    private started(): ResourceManager {
      if (!this.manager) throw new Error(`${spec.name} is not started`);
      return this.manager;
    }
  }
  return definePlugin({ name: spec.name, hintProvider: ResourceManagerHintProvider });
}
