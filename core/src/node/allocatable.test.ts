import { describe, expect, it } from 'vitest';
import { Quantity } from '@kernelet/sdk/common';
import { nodeAllocatable, resourceMapToJSON } from './allocatable.js';

const q = (text: string) => Quantity.parse(text);

describe('nodeAllocatable', () => {
  it('gives the upstream worked example: 14.5 CPUs, 28.5Gi memory, 88Gi storage', () => {
    const allocatable = nodeAllocatable({
      capacity: new Map([
        ['cpu', q('16')],
        ['memory', q('32Gi')],
        ['ephemeral-storage', q('100Gi')],
        ['pods', q('110')],
      ]),
      kubeReserved: { cpu: '1', memory: '2Gi', 'ephemeral-storage': '1Gi' },
      systemReserved: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1Gi' },
      evictionHard: { 'memory.available': '500Mi', 'nodefs.available': '10%' },
    });
    expect(allocatable.get('cpu')?.cmp(q('14.5'))).toBe(0);
    // The documentation rounds 500Mi to 0.5Gi: exactly it is 32Gi - 3Gi - 500Mi = 29196Mi (28.51Gi).
    expect(allocatable.get('memory')?.cmp(q('32Gi').sub(q('3Gi')).sub(q('500Mi')))).toBe(0);
    expect(Math.round((allocatable.get('memory')?.toNumber() ?? 0) / 2 ** 30 * 10) / 10).toBe(28.5);
    expect(allocatable.get('ephemeral-storage')?.cmp(q('88Gi'))).toBe(0);
    expect(resourceMapToJSON(allocatable)).toEqual({ cpu: '14500m', 'ephemeral-storage': '88Gi', memory: '29196Mi', pods: '110' });
  });

  it.each([
    ['nothing reserved', {}, {}, {}, { cpu: '2', memory: '4Gi' }],
    ['default eviction only', {}, {}, { 'memory.available': '100Mi', 'nodefs.available': '10%' }, { cpu: '2', memory: '3996Mi' }],
    ['more reserved than there is', { cpu: '3' }, {}, {}, { cpu: '0', memory: '4Gi' }],
    ['unknown resources are ignored', { 'example.com/gpu': '1' }, {}, {}, { cpu: '2', memory: '4Gi' }],
  ])('%s', (_name, kubeReserved, systemReserved, evictionHard, want) => {
    const allocatable = nodeAllocatable({ capacity: new Map([['cpu', q('2')], ['memory', q('4Gi')]]), kubeReserved, systemReserved, evictionHard });
    expect(resourceMapToJSON(allocatable)).toEqual(want);
  });

  it.each([
    ['replaces the cpu of kubeReserved and systemReserved with the number of reserved CPUs', '0,8', { cpu: '1', memory: '1Gi' }, { cpu: '500m' }, { cpu: '14', memory: '31Gi' }],
    ['reserves the CPUs with nothing else reserved', '0-3', {}, {}, { cpu: '12', memory: '32Gi' }],
    ['an empty list changes nothing', '', { cpu: '1' }, {}, { cpu: '15', memory: '32Gi' }],
  ])('reservedSystemCPUs %s', (_name, reservedSystemCPUs, kubeReserved, systemReserved, want) => {
    const allocatable = nodeAllocatable({ capacity: new Map([['cpu', q('16')], ['memory', q('32Gi')]]), kubeReserved, systemReserved, reservedSystemCPUs });
    expect(resourceMapToJSON(allocatable)).toEqual(want);
  });
});
