import { describe, expect, it } from 'vitest';
import type { Pod } from '@kernelet/sdk/common';
import { containerLinuxResources, containerOOMScoreAdjust, milliCPUToQuota, milliCPUToShares } from './container-resources.js';

const GiB = 1024 ** 3;

describe('cpu conversions', () => {
  it.each([
    [0, 2],
    [1, 2],
    [100, 102],
    [1000, 1024],
    [500_000, 262144],
  ])('%i millicpu -> %i shares', (milli, shares) => expect(milliCPUToShares(milli)).toBe(shares));

  it.each([
    [0, 0],
    [5, 1000],
    [250, 25000],
    [1500, 150000],
  ])('%i millicpu -> quota %i per 100ms', (milli, quota) => expect(milliCPUToQuota(milli, 100_000)).toBe(quota));
});

function pod(resources: Record<string, Record<string, string>>, extra: Partial<Pod['spec']> = {}): Pod {
  return { metadata: { name: 'p', uid: 'u' }, spec: { containers: [{ name: 'c', resources }], ...extra } };
}

describe('containerOOMScoreAdjust', () => {
  it.each([
    ['BestEffort', pod({}), 1000],
    ['Guaranteed', pod({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }), -997],
    ['Burstable, half the memory', pod({ requests: { memory: '4Gi' } }), 500],
    ['Burstable, tiny request', pod({ requests: { memory: '1' } }), 999],
    ['Burstable, more than the node', pod({ requests: { memory: '16Gi' } }), 3],
    ['system-node-critical', pod({}, { priorityClassName: 'system-node-critical' }), -997],
  ])('%s', (_name, p, adj) => expect(containerOOMScoreAdjust(p, p.spec!.containers[0]!, 8 * GiB)).toBe(adj));
});

describe('containerLinuxResources', () => {
  it('maps requests and limits to shares, quota and a memory limit', () => {
    const p = pod({ requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } });
    const r = containerLinuxResources(p, p.spec!.containers[0]!, { cpuCFSQuota: true, cpuPeriodUs: 100_000, memoryCapacityBytes: 8 * GiB });
    expect({ shares: r.cpuShares, quota: r.cpuQuota, period: r.cpuPeriod, memory: r.memoryLimitInBytes }).toEqual({ shares: 256n, quota: 50_000n, period: 100_000n, memory: 134_217_728n });
  });

  it('uses the limit for shares when only a limit is set, and no quota without cpuCFSQuota', () => {
    const p = pod({ limits: { cpu: '2' } });
    const r = containerLinuxResources(p, p.spec!.containers[0]!, { cpuCFSQuota: false, cpuPeriodUs: 100_000, memoryCapacityBytes: 8 * GiB });
    expect({ shares: r.cpuShares, quota: r.cpuQuota, memory: r.memoryLimitInBytes }).toEqual({ shares: 2048n, quota: 0n, memory: 0n });
  });
});
