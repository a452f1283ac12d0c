import { describe, expect, it } from 'vitest';
import { hintToJSON, HintsDocumentError, parseDistancesDocument, parseHintsDocument } from './hints-document.js';

describe('hints documents', () => {
  it('reads providers, resources, no-preference and cannot-place lists', () => {
    const parsed = parseHintsDocument(
      { cpu: { cpu: [{ numaAffinity: [1, 0], preferred: true }, { numaAffinity: null, preferred: false }] }, memory: { memory: null, hugepages: [] }, devices: {} },
      'hints.json',
      [0, 1],
    );
    expect(parsed.providers).toEqual(['cpu', 'memory', 'devices']);
    expect(parsed.hints[0]?.get('cpu')).toEqual([{ numaAffinity: 0b11n, preferred: true }, { numaAffinity: null, preferred: false }]);
    expect(parsed.hints[1]?.get('memory')).toBeNull();
    expect(parsed.hints[1]?.get('hugepages')).toEqual([]);
    expect(parsed.hints[2]?.size).toBe(0);
  });

  it('reads a null provider as no preference and an empty affinity as a mask of no node, as upstream would hold them', () => {
    const parsed = parseHintsDocument({ cpu: { cpu: [{ numaAffinity: [], preferred: true }] }, gpu: null }, 'hints.json', [0, 1]);
    expect(parsed.providers).toEqual(['cpu', 'gpu']);
    expect(parsed.hints[0]?.get('cpu')).toEqual([{ numaAffinity: 0n, preferred: true }]);
    expect(parsed.hints[1]).toEqual(new Map());
  });

  it.each([
    ['not an object', [1], 'hints.json: must be an object of providers, got [1]'],
    ['a provider that is a list', { cpu: [] }, 'hints.json: [cpu]: must be an object of resources or null, got []'],
    ['a resource that is not a list', { cpu: { cpu: 3 } }, 'hints.json: [cpu][cpu]: must be a list of hints or null, got 3'],
    ['a node outside the machine', { cpu: { cpu: [{ numaAffinity: [0, 4], preferred: true }] } }, 'hints.json: [cpu][cpu][0].numaAffinity[1]: NUMA node 4 is not one of the machine\'s nodes (0,1)'],
    ['a missing preferred', { cpu: { cpu: [{ numaAffinity: [0] }] } }, 'hints.json: [cpu][cpu][0].preferred: must be true or false, got nothing'],
    ['a misspelt field', { cpu: { cpu: [{ numaAfinity: [0], preferred: true }] } }, 'hints.json: [cpu][cpu][0].numaAfinity: unknown field'],
    ['a provider name with spaces', { 'my gpu': { 'vendor.com/gpu': 'x' } }, 'hints.json: ["my gpu"][vendor.com/gpu]: must be a list of hints or null'],
  ])('refuses %s, naming the file and field', (_name, input, message) => {
    expect(() => parseHintsDocument(input, 'hints.json', [0, 1])).toThrow(HintsDocumentError);
    expect(() => parseHintsDocument(input, 'hints.json', [0, 1])).toThrow(message);
  });

  it('reads distance rows in node order', () => {
    const distances = parseDistancesDocument({ '2': [10, 21], '5': [21, 10] }, 'd.json', [2, 5]);
    expect(distances.get(2)?.get(5)).toBe(21);
    expect(distances.get(5)?.get(5)).toBe(10);
  });

  it.each([
    ['a short row', { '0': [10], '1': [20, 10] }, 'd.json: [0]: has 1 distances, want 2'],
    ['a missing row', { '0': [10, 20] }, 'd.json: no distances for NUMA node 1'],
    ['an unknown node', { '0': [10, 20], '1': [20, 10], '7': [1, 1] }, 'd.json: [7]: "7" is not one of the NUMA nodes (0,1)'],
    ['a bad distance', { '0': [10, -20], '1': [20, 10] }, 'd.json: [0][1]: must be a positive integer distance, got -20'],
  ])('refuses distances with %s', (_name, input, message) => {
    expect(() => parseDistancesDocument(input, 'd.json', [0, 1])).toThrow(message);
  });

  it('prints hints as node lists', () => {
    expect(hintToJSON({ numaAffinity: 0b101n, preferred: false })).toEqual({ numaAffinity: [0, 2], preferred: false });
    expect(hintToJSON({ numaAffinity: null, preferred: true })).toEqual({ numaAffinity: null, preferred: true });
  });
});
