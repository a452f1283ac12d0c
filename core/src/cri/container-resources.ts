import type { runtime } from '@kernelet/proto';
import type { Container, Pod } from '@kernelet/sdk/common';
import { containerLimits, containerRequests, podQOSClass, Quantity } from '@kernelet/sdk/common';

/** Upstream cm constants: cgroup v1 cpu.shares bounds and the smallest CFS quota. */
export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;
export const SHARES_PER_CPU = 1024;
export const MIN_QUOTA_PERIOD_US = 1000;
export const GUARANTEED_OOM_SCORE_ADJ = -997;
export const BESTEFFORT_OOM_SCORE_ADJ = 1000;

export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU === 0) return MIN_SHARES;
  const shares = Math.floor((milliCPU * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

export function milliCPUToQuota(milliCPU: number, periodUs: number): number {
  if (milliCPU === 0) return 0;
  return Math.max(MIN_QUOTA_PERIOD_US, Math.floor((milliCPU * periodUs) / 1000));
}

/** Milli-units of a quantity, rounded up (Quantity.MilliValue). */
export function milliValue(q: Quantity | undefined): number {
  if (!q) return 0;
  const nanos = q.nanos;
  const milli = nanos / 1_000_000n + (nanos % 1_000_000n > 0n ? 1n : 0n);
  return Number(milli);
}

/** Whole units, rounded up (Quantity.Value). */
export function value(q: Quantity | undefined): number {
  if (!q) return 0;
  const nanos = q.nanos;
  return Number(nanos / 1_000_000_000n + (nanos % 1_000_000_000n > 0n ? 1n : 0n));
}

export interface ResourceOptions {
  cpuCFSQuota: boolean;
  /** cpuCFSQuotaPeriod in microseconds (default 100000). */
  cpuPeriodUs: number;
  /** The node's memory capacity in bytes (for the Burstable OOM score). */
  memoryCapacityBytes: number;
}

/** The oom_score_adj of a container by its pod's QoS class (upstream qos.GetContainerOOMScoreAdjust). */
export function containerOOMScoreAdjust(pod: Pod, container: Container, memoryCapacityBytes: number): number {
  if (pod.spec?.priorityClassName === 'system-node-critical') return GUARANTEED_OOM_SCORE_ADJ;
  const qos = podQOSClass(pod);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BESTEFFORT_OOM_SCORE_ADJ;
  const request = value(containerRequests(container).get('memory'));
  if (memoryCapacityBytes <= 0) return BESTEFFORT_OOM_SCORE_ADJ - 1;
  const adjust = 1000 - Math.floor((1000 * request) / memoryCapacityBytes);
  if (adjust < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adjust === BESTEFFORT_OOM_SCORE_ADJ) return adjust - 1;
  return adjust;
}

/** The container's cgroup settings (upstream generateLinuxContainerResources). */
export function containerLinuxResources(pod: Pod, container: Container, options: ResourceOptions): runtime.LinuxContainerResources {
  const requests = containerRequests(container);
  const limits = containerLimits(container);
  const cpuRequest = milliValue(requests.get('cpu'));
  const cpuLimit = milliValue(limits.get('cpu'));
  const memoryLimit = value(limits.get('memory'));
  const shares = cpuRequest === 0 && cpuLimit !== 0 ? milliCPUToShares(cpuLimit) : milliCPUToShares(cpuRequest);
  const resources: runtime.LinuxContainerResources = {
    cpuPeriod: 0n,
    cpuQuota: 0n,
    cpuShares: BigInt(shares),
    memoryLimitInBytes: BigInt(memoryLimit),
    oomScoreAdj: BigInt(containerOOMScoreAdjust(pod, container, options.memoryCapacityBytes)),
    cpusetCpus: '',
    cpusetMems: '',
    hugepageLimits: [],
    unified: {},
    memorySwapLimitInBytes: 0n,
  };
  if (options.cpuCFSQuota) {
    resources.cpuPeriod = BigInt(options.cpuPeriodUs);
    resources.cpuQuota = BigInt(milliCPUToQuota(cpuLimit, options.cpuPeriodUs));
  }
  for (const [name, q] of limits) {
    if (name.startsWith('hugepages-')) resources.hugepageLimits.push({ pageSize: hugepageSize(name.slice('hugepages-'.length)), limit: BigInt(value(q)) });
  }
  return resources;
}

/** "2Mi" -> "2MB", "1Gi" -> "1GB": the page size as the runtime names it. */
function hugepageSize(text: string): string {
  const q = Quantity.tryParse(text);
  if (!q) return text;
  const bytes = value(q);
  const units: [number, string][] = [
    [1 << 30, 'GB'],
    [1 << 20, 'MB'],
    [1 << 10, 'KB'],
  ];
  for (const [size, unit] of units) if (bytes % size === 0 && bytes >= size) return `${bytes / size}${unit}`;
  return `${bytes}B`;
}
