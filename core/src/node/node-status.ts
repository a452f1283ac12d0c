import { inject, injectable, multiInject, optional } from 'inversify';
import type { Node, NodeCondition, Quantity } from '@kernelet/sdk/common';
import { Machine, NodeName } from '../agent/node-facts.js';
import type { Startable } from '../agent/lifecycle.js';
import { AgentOptions } from '../config/agent-options.js';
import { Contributions } from '../extension-points/contributions.js';
import { StatusFunc, type NodeStatusContribution } from '../extension-points/status-func.js';
import { Logger } from '../logging/logger.js';
import { AGENT_VERSION } from '../version.js';
import { kubepodsLimits, nodeAllocatable, resourceMapToJSON } from './allocatable.js';
import { readNodeCapacity } from './node-capacity.js';
import { detectNodeIPs } from './node-ip.js';
import { NodeConditionSource } from './node-condition-source.js';
import { RuntimeState } from './runtime-state.js';
import { Quantity as Q } from '@kernelet/sdk/common';
import { parseDuration } from '../config/duration.js';

/** Conditions a node reports when no plugin says otherwise (upstream defaults). */
const DEFAULT_CONDITIONS: readonly { type: string; reason: string; message: string }[] = [
  { type: 'MemoryPressure', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
];

/**
 * The node's status (upstream setters in nodestatus): capacity, allocatable (capacity minus
 * reservations and hard eviction thresholds, plus the extended resources plugins report),
 * addresses, and conditions: Ready from the runtime's health and the PLEG's, pressure
 * conditions from StatusFunc plugins. Admission reads allocatable from here.
 */
@injectable()
export class NodeStatus implements Startable {
  readonly name = 'node-status';
  private capacityBase = new Map<string, Quantity>();
  private allocatableBase = new Map<string, Quantity>();
  private contributions: NodeStatusContribution[] = [];
  private readonly lastGood = new Map<string, NodeStatusContribution>();
  private readonly transitions = new Map<string, { status: string; since: string }>();
  private timer: NodeJS.Timeout | undefined;
  readonly nodeIPs: string[];

  constructor(
    @inject(AgentOptions) private readonly options: AgentOptions,
    @inject(NodeName) readonly nodeName: string,
    @inject(Machine) private readonly machine: Machine,
    @inject(RuntimeState) private readonly runtimeState: RuntimeState,
    @inject(Contributions) private readonly plugins: Contributions,
    @inject(Logger) private readonly logger: Logger,
    @multiInject(NodeConditionSource) @optional() private readonly coreConditions: readonly NodeConditionSource[] = [],
  ) {
    this.nodeIPs = detectNodeIPs(options.flags.nodeIP);
    const k = options.kubelet;
    this.capacityBase = readNodeCapacity({ machine, machineFromFile: options.kernelet.machineInfoFile !== undefined, rootDir: options.flags.rootDir, maxPods: k.maxPods, podsPerCore: k.podsPerCore ?? 0 });
    this.allocatableBase = nodeAllocatable({
      capacity: this.capacityBase,
      kubeReserved: k.kubeReserved,
      systemReserved: k.systemReserved,
      reservedSystemCPUs: k.reservedSystemCPUs,
      evictionHard: k.evictionHard,
    });
  }

  async start(): Promise<void> {
    const k = this.options.kubelet;
    this.logger.info({ node: this.nodeName, capacity: resourceMapToJSON(this.capacityBase), allocatable: resourceMapToJSON(this.allocatableBase) }, 'node capacity and allocatable');
    const period = safeDuration(k.nodeStatusUpdateFrequency, 10_000);
    const refresh = () => void this.refreshContributions();
    this.timer = setInterval(refresh, period);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
  }

  capacity(): Map<string, Quantity> {
    const out = new Map(this.capacityBase);
    for (const c of this.contributions) for (const [name, text] of c.capacity) this.putQuantity(out, name, text);
    return out;
  }

  allocatable(): Map<string, Quantity> {
    const out = new Map(this.allocatableBase);
    for (const c of this.contributions) for (const [name, text] of c.allocatable) this.putQuantity(out, name, text);
    return out;
  }

  /** What the /kubepods cgroup is limited to (capacity minus reservations, eviction thresholds not subtracted). */
  kubepodsLimits(): { cpuMilli: number; memoryBytes: number } {
    const k = this.options.kubelet;
    const limits = kubepodsLimits({ capacity: this.capacityBase, kubeReserved: k.kubeReserved, systemReserved: k.systemReserved, reservedSystemCPUs: k.reservedSystemCPUs });
    return { cpuMilli: Number(limits.get('cpu')?.milliValue() ?? 0n), memoryBytes: Number(limits.get('memory')?.value() ?? 0n) };
  }

  conditions(now = Date.now()): NodeCondition[] {
    const errors = this.runtimeState.errors();
    const ready = errors.length === 0;
    const list: NodeCondition[] = [];
    for (const d of DEFAULT_CONDITIONS) {
      const fromPlugin = this.contributions.flatMap((c) => c.conditions).find((c) => c.type === d.type);
      list.push(this.condition(d.type, fromPlugin?.status ?? 'False', fromPlugin?.reason ?? d.reason, fromPlugin?.message ?? d.message, now));
    }
    for (const c of this.contributions.flatMap((x) => x.conditions)) {
      if (c.type === 'Ready' || DEFAULT_CONDITIONS.some((d) => d.type === c.type)) continue;
      list.push(this.condition(c.type, c.status, c.reason, c.message, now));
    }
    for (const c of (this.coreConditions ?? []).flatMap((source) => source.conditions())) list.push(this.condition(c.type, c.status, c.reason, c.message, now));
    list.push(ready ? this.condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', now) : this.condition('Ready', 'False', 'KubeletNotReady', errors.join(', '), now));
    return list;
  }

  get ready(): boolean {
    return this.runtimeState.errors().length === 0;
  }

  /**
   * The node's labels (upstream initialNode): hostname, OS and architecture (stable and beta
   * keys), then --node-labels, which may override them. Admission matches nodeSelector and
   * node affinity against these.
   */
  labels(): Record<string, string> {
    return {
      'kubernetes.io/hostname': this.nodeName,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': goArch(),
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': goArch(),
      ...this.options.flags.nodeLabels,
    };
  }

  /** The Node object `GET /node` serves. */
  node(): Node {
    const now = Date.now();
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.nodeName,
        labels: this.labels(),
      },
      status: {
        capacity: resourceMapToJSON(this.capacity()),
        allocatable: resourceMapToJSON(this.allocatable()),
        conditions: this.conditions(now),
        addresses: [...this.nodeIPs.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: this.nodeName }],
        nodeInfo: {
          machineID: '',
          systemUUID: '',
          bootID: '',
          kernelVersion: '',
          osImage: '',
          operatingSystem: 'linux',
          architecture: goArch(),
          containerRuntimeVersion: this.runtimeState.runtimeVersion,
          kubeletVersion: `kernelet-${AGENT_VERSION}`,
          kubeProxyVersion: '',
        },
      },
    };
  }

  private condition(type: string, status: string, reason: string, message: string, now: number): NodeCondition {
    const before = this.transitions.get(type);
    const iso = new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    if (!before || before.status !== status) this.transitions.set(type, { status, since: iso });
    return { type, status, reason, message, lastHeartbeatTime: iso, lastTransitionTime: this.transitions.get(type)?.since ?? iso };
  }

  private putQuantity(map: Map<string, Quantity>, name: string, text: string): void {
    const q = Q.tryParse(text);
    if (q) map.set(name, q);
  }

  /** Asks every StatusFunc plugin; one that fails keeps its last good contribution with its conditions Unknown. */
  private async refreshContributions(): Promise<void> {
    const funcs = this.plugins.getAll<StatusFunc>(StatusFunc);
    const results = await Promise.all(
      funcs.map(async (f): Promise<NodeStatusContribution | undefined> => {
        try {
          const got = await f.getNodeStatus(this.nodeName);
          this.lastGood.set(f.name, got);
          return got;
        } catch (error) {
          this.logger.warn({ plugin: f.name, err: (error as Error).message }, 'node status plugin failed; keeping its last status with conditions Unknown');
          const last = this.lastGood.get(f.name);
          return last ? { ...last, conditions: last.conditions.map((c) => ({ ...c, status: 'Unknown' as const })) } : undefined;
        }
      }),
    );
    this.contributions = results.filter((r): r is NodeStatusContribution => r !== undefined);
  }
}

/** The architecture as Go names it (GOARCH), which the labels and nodeInfo use. */
function goArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
}

function safeDuration(text: string, fallback: number): number {
  try {
    const ms = parseDuration(text);
    return ms > 0 ? ms : fallback;
  } catch {
    return fallback;
  }
}
