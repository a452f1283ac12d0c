import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serializeKubeletConfiguration } from './configz.js';
import { decodeKubeletConfiguration } from './decode.js';
import type { JsonObject } from './json-value.js';
import { mergeConfiguration } from './merge.js';
import { ProblemList } from './problem.js';
import { fixture, loadOk } from './fixtures.test-helpers.js';
import { parseYamlDocument } from './yaml-document.js';

/** The documented result, read through the decoder so "8m" compares equal to "8m0s". */
async function expected(example: string): Promise<JsonObject> {
  const text = await fs.readFile(fixture(`merge/${example}/expected.yaml`), 'utf8');
  const problems = new ProblemList();
  const decoded = decodeKubeletConfiguration(parseYamlDocument(text).value as JsonObject, { mode: 'config', source: 'expected', baseDir: '/', problems });
  expect(problems.problems).toEqual([]);
  return decoded;
}

describe('upstream "Kubelet Configuration Directory Merging" examples', () => {
  it.each(['struct-fields', 'lists', 'maps'])('%s: the merged configuration is exactly the documented result', async (example) => {
    const options = await loadOk(['--config', fixture(`merge/${example}/kubelet.yaml`), '--config-dir', fixture(`merge/${example}/conf.d`)]);
    const actual = serializeKubeletConfiguration(options.kubelet);
    const want = await expected(example);
    for (const [field, value] of Object.entries(want)) {
      expect({ field, value: actual[field] }).toEqual({ field, value });
    }
  });

  it('struct fields: the base port stays, nested struct fields are overridden one by one', async () => {
    const options = await loadOk(['--config', fixture('merge/struct-fields/kubelet.yaml'), '--config-dir', fixture('merge/struct-fields/conf.d')]);
    expect(options.kubelet.port).toBe(20250);
    expect(options.kubelet.address).toBe('192.168.0.8');
    expect(options.kubelet.authorization).toEqual({ mode: 'AlwaysAllow', webhook: { cacheAuthorizedTTL: '8m0s', cacheUnauthorizedTTL: '45s' } });
  });

  it('lists: the drop-in replaces the whole list', async () => {
    const options = await loadOk(['--config', fixture('merge/lists/kubelet.yaml'), '--config-dir', fixture('merge/lists/conf.d')]);
    expect(options.kubelet.clusterDNS).toEqual(['192.168.0.2', '192.168.0.3', '192.168.0.5']);
  });

  it('maps: featureGates merge key by key; staticPodURLHeader replaces each key\'s list', async () => {
    const options = await loadOk(['--config', fixture('merge/maps/kubelet.yaml'), '--config-dir', fixture('merge/maps/conf.d')]);
    expect(options.kubelet.featureGates).toEqual({ AllAlpha: false, MemoryQoS: false, KubeletTracing: true, DynamicResourceAllocation: true });
    expect(options.kubelet.staticPodURLHeader).toEqual({
      'kubelet-api-support': ['Authorization: 234APSDFA', 'X-Custom-Header: 123'],
      'custom-static-pod': ['Authorization: 223EWRWER', 'X-Custom-Header: 345'],
    });
  });
});

describe('mergeConfiguration', () => {
  it.each<[string, JsonObject, JsonObject, JsonObject]>([
    ['scalar replaced', { maxPods: 110 }, { maxPods: 50 }, { maxPods: 50 }],
    ['nested struct by field', { authentication: { webhook: { enabled: true, cacheTTL: '2m0s' } } }, { authentication: { webhook: { enabled: false } } }, { authentication: { webhook: { enabled: false, cacheTTL: '2m0s' } } }],
    ['map by key', { evictionHard: { a: '1', b: '2' } }, { evictionHard: { b: '3', c: '4' } }, { evictionHard: { a: '1', b: '3', c: '4' } }],
    ['list whole', { clusterDNS: ['a', 'b'] }, { clusterDNS: ['c'] }, { clusterDNS: ['c'] }],
    ['empty list replaces', { enforceNodeAllocatable: ['pods'] }, { enforceNodeAllocatable: [] }, { enforceNodeAllocatable: [] }],
    ['list of structs whole', { reservedMemory: [{ numaNode: 0, limits: { memory: '1Gi' } }] }, { reservedMemory: [{ numaNode: 1, limits: { memory: '2Gi' } }] }, { reservedMemory: [{ numaNode: 1, limits: { memory: '2Gi' } }] }],
    ['null leaves the field', { maxPods: 110 }, { maxPods: null }, { maxPods: 110 }],
  ])('%s', (_name, base, overlay, want) => {
    const before = structuredClone(base);
    expect(mergeConfiguration(base, overlay)).toEqual(want);
    expect(base).toEqual(before);
  });
});
