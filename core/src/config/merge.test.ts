import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serializeKubeletConfiguration } from './configz.js';
import { decodeKubeletConfiguration } from './decode.js';
import type { JsonObject } from './json-value.js';
import { foldFieldNames, mergeConfiguration } from './merge.js';
import { KUBELET_CONFIGURATION_FIELDS } from './schema.js';
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

describe('foldFieldNames settles spellings as Go decodes them, in sorted order', () => {
  it.each<[string, JsonObject, JsonObject]>([
    ['the exact name sorts after an upper-case variant and wins', { MaxPods: 42, maxPods: 110 }, { maxPods: 110 }],
    ['a lower-case variant sorts after the exact name and wins', { maxPods: 110, maxpods: 42 }, { maxPods: 42 }],
    ['a variant alone sets the field', { ClusterDomain: 'cluster.local' }, { clusterDomain: 'cluster.local' }],
    ['struct spellings merge field by field', { Authentication: { x509: { clientCAFile: '/ca' }, anonymous: { enabled: true } }, authentication: { anonymous: { enabled: false }, x509: {} } }, { authentication: { x509: { clientCAFile: '/ca' }, anonymous: { enabled: false } } }],
    ['nested spellings inside a struct', { authentication: { Anonymous: { Enabled: true } } }, { authentication: { anonymous: { enabled: true } } }],
    ['map spellings merge key by key', { FeatureGates: { A: true }, featureGates: { B: true } }, { featureGates: { A: true, B: true } }],
    ['inside list items', { registerWithTaints: [{ Key: 'a', effect: 'NoSchedule' }] }, { registerWithTaints: [{ key: 'a', effect: 'NoSchedule' }] }],
    ['unknown keys are dropped', { bogus: 1, port: 1 }, { port: 1 }],
  ])('%s', (_name, merged, want) => {
    expect(foldFieldNames(merged, KUBELET_CONFIGURATION_FIELDS)).toEqual(want);
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
    ['null removes the field', { maxPods: 110, port: 1 }, { maxPods: null }, { port: 1 }],
    ['null removes a map key', { featureGates: { A: true, B: false } }, { featureGates: { A: null } }, { featureGates: { B: false } }],
    ['null for an absent field changes nothing', { port: 1 }, { maxPods: null }, { port: 1 }],
    ['an object patch into an absent field drops its nulls', {}, { tracing: { endpoint: null, samplingRatePerMillion: 5 } }, { tracing: { samplingRatePerMillion: 5 } }],
    ['case variants stay keys of their own', { maxPods: 110 }, { MaxPods: 42 }, { maxPods: 110, MaxPods: 42 }],
  ])('%s', (_name, base, overlay, want) => {
    const before = structuredClone(base);
    expect(mergeConfiguration(base, overlay)).toEqual(want);
    expect(base).toEqual(before);
  });
});
