import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, loadOk, loadProblems, tempDir } from './fixtures.test-helpers.js';

const KERNELET_HEADER = 'apiVersion: kernelet.io/v1alpha1\nkind: KerneletConfiguration\n';

describe('kernelet configuration file and flags', () => {
  it('reads plugins with their own settings and failure policies; paths resolve against the file', async () => {
    const options = await loadOk(['--kernelet-config', fixture('kernelet/kernelet.yaml')]);
    expect(options.kernelet).toEqual({
      plugins: ['cpu-manager', 'memory-manager'],
      pluginConfigs: { 'cpu-manager': { reconcilePeriod: '10s' } },
      pluginFailurePolicies: { 'cpu-manager': 'Fail', 'memory-manager': 'Ignore' },
      pluginIsolation: 'process',
      pluginCallTimeoutMs: 3000,
      pluginReadyTimeoutMs: 60_000,
      podHousekeepingPeriodMs: 5000,
      machineInfoFile: fixture('kernelet/topology/dual-socket.json'),
      kerneletConfigFile: fixture('kernelet/kernelet.yaml'),
      dryRun: false,
    });
  });

  it('lets flags override the file', async () => {
    const options = await loadOk(
      ['--kernelet-config', fixture('kernelet/kernelet.yaml'), '--plugins=memory-manager,./my-plugin.js', '--plugin-isolation=shared', '--plugin-call-timeout=500ms', '--pod-housekeeping-period=10s', '--machine-info-file=topo.json'],
      '/srv',
    );
    expect(options.kernelet).toMatchObject({
      plugins: ['memory-manager', './my-plugin.js'],
      pluginFailurePolicies: { 'memory-manager': 'Ignore', './my-plugin.js': 'Fail' },
      pluginIsolation: 'shared',
      pluginCallTimeoutMs: 500,
      podHousekeepingPeriodMs: 10_000,
      machineInfoFile: '/srv/topo.json',
    });
  });

  it.each<[string, string, string, RegExp]>([
    ['wrong kind', 'apiVersion: kernelet.io/v1alpha1\nkind: KubeletConfiguration\n', '#kind', /is not KerneletConfiguration/],
    ['unknown field (ours is strict)', `${KERNELET_HEADER}plugin: []\n`, '#plugin', /unknown field/],
    ['plugin without a name', `${KERNELET_HEADER}plugins:\n- config: {}\n`, '#plugins[0].name', /expected a plugin name/],
    ['duplicate plugin', `${KERNELET_HEADER}plugins:\n- name: a\n- name: a\n`, '#plugins[1].name', /listed twice/],
    ['bad failure policy', `${KERNELET_HEADER}plugins:\n- name: a\n  failurePolicy: Retry\n`, '#plugins[0].failurePolicy', /unknown policy string "Retry"/],
    ['bad isolation', `${KERNELET_HEADER}pluginIsolation: thread\n`, '#pluginIsolation', /valid: shared, process/],
    ['bad timeout', `${KERNELET_HEADER}pluginCallTimeout: 2 seconds\n`, '#pluginCallTimeout', /invalid duration/],
    ['housekeeping period not positive', `${KERNELET_HEADER}podHousekeepingPeriod: 0s\n`, '#podHousekeepingPeriod', /must be a positive duration/],
  ])('%s', async (_name, text, fieldSuffix, message) => {
    const dir = await tempDir({ 'kernelet.yaml': text });
    const file = path.join(dir, 'kernelet.yaml');
    const problems = await loadProblems(['--kernelet-config', file]);
    expect(problems.find((p) => p.field === `${file}${fieldSuffix}`)?.message ?? JSON.stringify(problems)).toMatch(message);
  });
});
