import { v1alpha1 } from '@kernelet/proto';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/seeded-random.js';
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

  it('packs hints only when asked, and reads packed and unpacked hints alike, through the protobuf bytes', () => {
    const next = seededRandom(7);
    for (let round = 0; round < 50; round++) {
      const nodes = 1 + Math.floor(next() * 80);
      const list = Array.from({ length: Math.floor(next() * 40) }, () => {
        const ids = [...new Set(Array.from({ length: 1 + Math.floor(next() * 4) }, () => Math.floor(next() * nodes)))];
        return { numaAffinity: next() < 0.1 ? null : maskOf(ids), preferred: next() < 0.5 };
      });
      const hints = new Map([['cpu', list], ['memory', null]]);
      const viaBytes = (packed: boolean) => v1alpha1.GetTopologyHintsResponse.decode(v1alpha1.GetTopologyHintsResponse.encode(providerHintsToWire(hints, { packed })).finish());
      const packed = viaBytes(true);
      const plain = viaBytes(false);
      expect(packed.hints['cpu']?.hints).toEqual([]);
      expect(plain.hints['cpu']?.packed).toEqual([]);
      expect(providerHintsFromWire(packed), `round ${round}`).toEqual(hints);
      expect(providerHintsFromWire(plain), `round ${round}`).toEqual(hints);
    }
  });

  it.each([
    [[0], 'packed hints for cpu: hint at 0 has header 0, which does not fit the 1 values sent'],
    [[1, 3, 0], 'packed hints for cpu: hint at 1 has header 3, which does not fit the 3 values sent'],
    [[-2, 1, 3, 0], 'packed hints for cpu: hint at 2 has header 3, which does not fit the 4 values sent'],
    [[-2, -1], 'packed hints for cpu: hint at 0 names an invalid NUMA node: [-1]'],
    [[1, 2, 70000], 'packed hints for cpu: hint at 1 names an invalid NUMA node: [70000]'],
  ])('refuses packed hints %j that do not parse', (packed, message) => {
    const response = { hints: { cpu: { hints: [], noPreference: false, packed } } };
    expect(() => providerHintsFromWire(response)).toThrow(new WireError(message));
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
