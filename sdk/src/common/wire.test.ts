import { describe, expect, it } from 'vitest';
import { maskOf } from './numa-mask.js';
import {
  allocationFromWire,
  allocationToWire,
  hintFromWire,
  podFromWire,
  providerHintsFromWire,
  providerHintsToWire,
  WireError,
} from './wire.js';

describe('wire conversions', () => {
  it('round-trips provider hints, keeping "no preference" apart from "not placeable"', () => {
    const hints = new Map([
      ['cpu', [{ numaAffinity: maskOf([0]), preferred: true }, { numaAffinity: maskOf([0, 1]), preferred: false }]],
      ['memory', null],
      ['vendor.com/gpu', []],
      ['hugepages-1Gi', [{ numaAffinity: null, preferred: true }]],
    ] as const);
    const back = providerHintsFromWire(providerHintsToWire(hints));
    expect(back).toEqual(new Map(hints));
  });

  it('round-trips an allocation, dropping empty fields', () => {
    const allocation = { podUID: 'u', containerName: 'c', cpusetCpus: '2-3', resourceDevices: [{ resourceName: 'gpu', deviceIds: ['a'], numaAffinity: maskOf([1]) }] };
    expect(allocationFromWire(allocationToWire(allocation))).toEqual(allocation);
  });

  it.each([
    ['missing', undefined, 'pod is missing'],
    ['not JSON', { json: '{nope' }, 'pod is not valid JSON'],
    ['an array', { json: '[]' }, 'pod is not a JSON object'],
    ['without metadata', { json: '{"spec":{}}' }, 'pod has no metadata'],
  ])('refuses a pod that is %s', (_name, message, error) => {
    expect(() => podFromWire(message)).toThrow(WireError);
    expect(() => podFromWire(message)).toThrow(error);
  });

  it('keeps every pod field it does not know', () => {
    const pod = { metadata: { name: 'p', uid: 'u' }, spec: { containers: [], futureField: { x: 1 } }, status: { resize: 'Proposed' } };
    expect(podFromWire({ json: JSON.stringify(pod) })).toEqual(pod);
  });

  it('refuses a hint naming an invalid NUMA node', () => {
    expect(() => hintFromWire({ numaAffinity: { nodes: [-1] }, preferred: true })).toThrow('invalid NUMA node');
  });
});
