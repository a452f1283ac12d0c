import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigz, serializeKubeletConfiguration } from './configz.js';
import { fixture, HEADER, loadOk, tempDir } from './fixtures.test-helpers.js';
import { KUBELET_CONFIGURATION_FIELDS } from './schema.js';

async function upstreamDefaults(): Promise<{ kubeletconfig: Record<string, unknown> }> {
  return JSON.parse(await fs.readFile(fixture('configz/upstream-v1beta1-defaults.json'), 'utf8')) as { kubeletconfig: Record<string, unknown> };
}

describe('/configz', () => {
  it('of an agent with a minimal config file matches the upstream v1beta1 defaults field for field', async () => {
    const options = await loadOk(['--config', fixture('configz/minimal.yaml')]);
    const body = JSON.parse(renderConfigz(options)) as { kubeletconfig: Record<string, unknown> };
    const want = await upstreamDefaults();
    expect(Object.keys(body.kubeletconfig).sort()).toEqual(Object.keys(want.kubeletconfig).sort());
    expect(body).toEqual(want);
  });

  it('of an agent started with no flags at all differs only by the command line\'s legacy defaults', async () => {
    const options = await loadOk([]);
    const body = JSON.parse(renderConfigz(options)) as { kubeletconfig: Record<string, unknown> };
    const want = await upstreamDefaults();
    Object.assign(want.kubeletconfig, {
      readOnlyPort: 10255,
      authentication: { anonymous: { enabled: true }, webhook: { cacheTTL: '2m0s', enabled: false }, x509: {} },
      authorization: { mode: 'AlwaysAllow', webhook: { cacheAuthorizedTTL: '5m0s', cacheUnauthorizedTTL: '30s' } },
    });
    expect(body).toEqual(want);
  });

  it('prints fields in upstream declaration order, map keys sorted, without apiVersion and kind', async () => {
    const options = await loadOk(['--config', fixture('configz/minimal.yaml')]);
    const body = JSON.parse(renderConfigz(options)) as { kubeletconfig: Record<string, unknown> };
    const keys = Object.keys(body.kubeletconfig);
    const order = KUBELET_CONFIGURATION_FIELDS.map((f) => f.name);
    expect(keys).toEqual([...keys].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
    expect(keys.slice(0, 3)).toEqual(['enableServer', 'podLogsDir', 'syncFrequency']);
    expect(Object.keys(body.kubeletconfig['evictionHard'] as object)).toEqual(['imagefs.available', 'imagefs.inodesFree', 'memory.available', 'nodefs.available', 'nodefs.inodesFree']);
    expect(renderConfigz(options).startsWith('{"kubeletconfig":{"enableServer":true,')).toBe(true);
  });

  it('formats durations as Go and quantities canonically; keeps explicit zero pointers', async () => {
    const dir = await tempDir({
      'k.yaml': `${HEADER}syncFrequency: 90s\nhealthzPort: 0\nreadOnlyPort: 0\nreservedMemory:\n- numaNode: 0\n  limits:\n    memory: 1536Mi\n    hugepages-2Mi: "2097152"\nmemoryManagerPolicy: None\n`,
    });
    const options = await loadOk(['--config', path.join(dir, 'k.yaml'), '--eviction-pressure-transition-period=300s']);
    const config = serializeKubeletConfiguration(options.kubelet);
    expect(config['syncFrequency']).toBe('1m30s');
    expect(config['evictionPressureTransitionPeriod']).toBe('5m0s');
    expect(config['healthzPort']).toBe(0); // a pointer: 0 is kept (healthz disabled)
    expect('readOnlyPort' in config).toBe(false); // omitempty: 0 is left out
    expect(config['reservedMemory']).toEqual([{ numaNode: 0, limits: { 'hugepages-2Mi': '2097152', memory: '1536Mi' } }]);
  });

  it.each<[string, string, Record<string, unknown>]>([
    ['unset event limits take the upstream defaults', '', { eventRecordQPS: 50, eventBurst: 100 }],
    ['eventRecordQPS is a pointer: an explicit 0 (no limit) stays', 'eventRecordQPS: 0\n', { eventRecordQPS: 0, eventBurst: 100 }],
    ['eventBurst is a plain field: 0 means unset', 'eventBurst: 0\n', { eventRecordQPS: 50, eventBurst: 100 }],
    ['explicit values are kept', 'eventRecordQPS: 7\neventBurst: 9\n', { eventRecordQPS: 7, eventBurst: 9 }],
  ])('defaults the event limits: %s', async (_name, body, want) => {
    const dir = await tempDir({ 'k.yaml': `${HEADER}${body}` });
    const config = serializeKubeletConfiguration((await loadOk(['--config', path.join(dir, 'k.yaml')])).kubelet);
    expect({ eventRecordQPS: config['eventRecordQPS'], eventBurst: config['eventBurst'] }).toEqual(want);
  });

  it('serializes with apiVersion and kind for a reusable file', async () => {
    const options = await loadOk([]);
    const config = serializeKubeletConfiguration(options.kubelet, { typeMeta: true });
    expect(Object.keys(config).slice(0, 2)).toEqual(['apiVersion', 'kind']);
  });
});
