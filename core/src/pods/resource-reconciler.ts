import { runtime } from '@kernelet/proto';
import type { Startable } from '../agent/lifecycle.js';
import type { RuntimeService } from '../cri/runtime-service.js';
import type { AllocationList, ContainerAllocation, HintProvider } from '../extension-points/hint-provider.js';
import type { Logger } from '../logging/logger.js';
import type { PodStore } from './pod-store.js';

export interface ResourceReconcilerOptions {
  /** cpuManagerReconcilePeriod. */
  periodMs: number;
  /** How long a burst of container starts is gathered into one pass. */
  settleMs: number;
  providers(): readonly HintProvider[];
  /** What the container was created with, when this agent created it. */
  createdWith(podUID: string, containerName: string): ContainerAllocation | undefined;
}

interface Cpusets {
  cpusetCpus?: string;
  cpusetMems?: string;
}

const POD_UID_LABEL = 'io.kubernetes.pod.uid';
const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';

/**
 * Keeps running containers on the cpusets the resource managers say they should have (the
 * kubelet's CPU and memory manager reconcileState): every period, and soon after a
 * container starts, it asks each hint provider for its allocations and moves each running
 * container whose cpuset differs with UpdateContainerResources. A container without an
 * allocation of its own follows the provider's shared pool, which shrinks as exclusive CPUs
 * are handed out and grows back when they are released.
 *
 * A provider that is not registered or does not answer is left out of the pass entirely:
 * containers keep what they have rather than being moved on partial knowledge.
 */
export class ResourceReconciler implements Startable {
  readonly name = 'resource-reconciler';
  /** What each running container was last set to, by container ID. */
  private readonly applied = new Map<string, Cpusets>();
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly startedAt = Date.now();

  constructor(
    private readonly options: ResourceReconcilerOptions,
    private readonly runtimeService: RuntimeService,
    private readonly pods: PodStore,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => void this.reconcile(), this.options.periodMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.soon);
    await this.running;
  }

  /** Asks for a pass shortly (a container started, or allocations changed). */
  requestSoon(): void {
    if (this.soon || this.stopped) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.reconcile();
    }, this.options.settleMs);
    this.soon.unref();
  }

  /** One pass; a pass asked for while one runs follows it. */
  reconcile(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const pass = this.pass()
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'resource reconciliation failed; retrying next period'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.reconcile();
        }
      });
    this.running = pass;
    return pass;
  }

  private async pass(): Promise<void> {
    const providers = this.options.providers();
    if (providers.length === 0 || this.stopped) return;
    const lists = await Promise.all(
      providers.map((provider) =>
        provider.listAllocations().then(
          (list) => ({ provider: provider.name, list }),
          (error: Error) => {
            this.logger.warn({ plugin: provider.name, err: error.message }, 'cannot list allocations; containers keep their cpusets until it answers');
            return undefined;
          },
        ),
      ),
    );
    const known = lists.filter((l): l is { provider: string; list: AllocationList } => l !== undefined && (l.list.shared !== null || l.list.allocations.length > 0));
    if (known.length === 0) return;
    const byContainer = known.map(({ list }) => new Map(list.allocations.map((a) => [key(a.podUID, a.containerName), a])));

    const containers = await this.runtimeService.listContainers({ state: { state: runtime.ContainerState.CONTAINER_RUNNING } });
    const seen = new Set<string>();
    for (const container of containers) {
      const podUID = container.labels[POD_UID_LABEL];
      const name = container.labels[CONTAINER_NAME_LABEL];
      if (!podUID || !name) continue;
      const pod = this.pods.get(podUID);
      if (!pod || pod.terminating) continue;
      seen.add(container.id);
      const want: Cpusets = {};
      known.forEach(({ list }, i) => {
        const source = byContainer[i]!.get(key(podUID, name)) ?? list.shared;
        if (source?.cpusetCpus && want.cpusetCpus === undefined) want.cpusetCpus = source.cpusetCpus;
        if (source?.cpusetMems && want.cpusetMems === undefined) want.cpusetMems = source.cpusetMems;
      });
      if (want.cpusetCpus === undefined && want.cpusetMems === undefined) continue;
      // A container this agent created has what admission allocated; one adopted from
      // before a restart may have anything, so it is set once whatever it seems to have.
      if (!this.applied.has(container.id) && Number(container.createdAt / 1_000_000n) >= this.startedAt) {
        const created = this.options.createdWith(podUID, name);
        if (created) this.applied.set(container.id, { ...pick(created) });
      }
      const before = this.applied.get(container.id) ?? {};
      const change: Cpusets = {};
      if (want.cpusetCpus !== undefined && want.cpusetCpus !== before.cpusetCpus) change.cpusetCpus = want.cpusetCpus;
      if (want.cpusetMems !== undefined && want.cpusetMems !== before.cpusetMems) change.cpusetMems = want.cpusetMems;
      if (change.cpusetCpus === undefined && change.cpusetMems === undefined) continue;
      try {
        await this.runtimeService.updateContainerResources(container.id, change);
        this.applied.set(container.id, { ...before, ...change });
        this.logger.info({ podUID, containerName: name, containerID: container.id, ...change, was: before }, 'updated the container cpuset');
      } catch (error) {
        this.logger.warn({ podUID, containerName: name, containerID: container.id, ...change, err: (error as Error).message }, 'cannot update the container cpuset; retrying next period');
      }
    }
    for (const id of this.applied.keys()) if (!seen.has(id)) this.applied.delete(id);
  }
}

function key(podUID: string, containerName: string): string {
  return `${podUID}/${containerName}`;
}

function pick(a: ContainerAllocation): Cpusets {
  return { ...(a.cpusetCpus ? { cpusetCpus: a.cpusetCpus } : {}), ...(a.cpusetMems ? { cpusetMems: a.cpusetMems } : {}) };
}
