import { describe, expect, it } from 'vitest';
import { maskOf } from '@kernelet/sdk/common';
import { mergeAllocations } from './merge-allocations.js';

describe('mergeAllocations', () => {
  it('takes cpus and mems from the providers that set them and merges the rest in provider order', () => {
    const merged = mergeAllocations('u', 'c', [
      { podUID: 'u', containerName: 'c', cpusetCpus: '2-3', envs: { A: '1' } },
      { podUID: 'u', containerName: 'c', cpusetMems: '0', envs: { B: '2' }, cdiDevices: ['vendor.com/gpu=0'] },
      { podUID: 'u', containerName: 'c', resourceDevices: [{ resourceName: 'vendor.com/gpu', deviceIds: ['0'], numaAffinity: maskOf([0]) }] },
    ]);
    expect(merged).toEqual({
      podUID: 'u',
      containerName: 'c',
      cpusetCpus: '2-3',
      cpusetMems: '0',
      envs: { A: '1', B: '2' },
      cdiDevices: ['vendor.com/gpu=0'],
      resourceDevices: [{ resourceName: 'vendor.com/gpu', deviceIds: ['0'], numaAffinity: maskOf([0]) }],
    });
  });

  it('is an empty allocation when no provider gave anything', () => {
    expect(mergeAllocations('u', 'c', [])).toEqual({ podUID: 'u', containerName: 'c' });
  });
});
