import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FLAG_SPECS } from '../config/flags.js';
import { helpText } from '../config/help.js';
import { commands } from './commands.js';
import { configCommand, printConfiguration } from './config-command.js';
import { captureOutput } from './capture-output.test-helpers.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../config/fixtures/${p}`, import.meta.url));


afterEach(() => {
  vi.restoreAllMocks();
});

describe('kernelet config print', () => {
  it('is registered as a subcommand', () => {
    expect(commands.map((c) => c.name)).toContain('config');
  });

  it('prints the merged configuration as YAML a newcomer can read and reuse', async () => {
    const output = captureOutput();
    const code = await configCommand.run(['print', '--config', fixture('merge/maps/kubelet.yaml'), '--config-dir', fixture('merge/maps/conf.d'), '--max-pods=42']);
    expect(code).toBe(0);
    const [kubelet, kernelet] = output.stdout().split('\n---\n').map((doc) => parse(doc) as Record<string, unknown>);
    expect(kubelet).toMatchObject({ apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', port: 20250, maxPods: 42, syncFrequency: '1m0s' });
    expect(kubelet?.['featureGates']).toEqual({ AllAlpha: false, DynamicResourceAllocation: true, KubeletTracing: true, MemoryQoS: false });
    expect(kernelet).toMatchObject({ apiVersion: 'kernelet.io/v1alpha1', kind: 'KerneletConfiguration', pluginIsolation: 'shared', pluginCallTimeout: '2s' });
    expect(output.stdout()).toMatch(/^# Final configuration kernelet would run with\./);
    expect(output.stderr()).toMatch(/warning: featureGates\[KubeletTracing\]: setting GA feature gate/);
  });

  it('exits non-zero and lists every problem for an invalid configuration', async () => {
    const output = captureOutput();
    const code = await printConfiguration(['--config', fixture('invalid/five-mistakes.yaml')], '/');
    expect(code).toBe(1);
    expect(output.stdout()).toBe('');
    expect(output.stderr()).toMatch(/invalid configuration \(5 problems\):/);
    expect(output.stderr()).toMatch(/^ {2}cpuManagerPolicy: unknown policy "statik" \(valid: none, static\)$/m);
  });

  it('prints its usage for --help', async () => {
    const output = captureOutput();
    expect(await configCommand.run(['print', '--help'])).toBe(0);
    expect(output.stdout()).toMatch(/^Usage: kernelet config print \[flags\]/);
  });

  it('rejects an unknown subcommand', async () => {
    const output = captureOutput();
    expect(await configCommand.run(['show'])).toBe(2);
    expect(output.stderr()).toMatch(/unknown subcommand "show"/);
  });
});

describe('kernelet --help', () => {
  it('groups the flags, kernelet\'s own in their own group, and lists subcommands', () => {
    const text = helpText(commands);
    const groups = [...text.matchAll(/^([A-Z][^\n]*):$/gm)].map((m) => m[1]);
    expect(groups).toEqual([
      'Usage',
      'Commands',
      'Configuration sources',
      'Node identity and registration',
      'Container runtime and images',
      'Pods: sources, sync and limits',
      'Resources: cgroups, CPU/Memory/Topology Managers, reservations',
      'Eviction',
      'Kubelet API server, authentication and authorization',
      'Logging',
      'Accepted for compatibility, no effect in kernelet (each use is warned about once)',
    ]);
    expect(text).toMatch(/^kernelet \(not kubelet flags\): plugins and machine topology:$/m);
    const kerneletSection = text.slice(text.indexOf('kernelet (not kubelet flags)'));
    for (const flag of ['--plugins', '--plugin-isolation', '--plugin-call-timeout', '--machine-info-file', '--kernelet-config', '--dry-run']) {
      expect(kerneletSection).toContain(flag);
    }
    expect(text).toContain('  -v, --v LEVEL');
    for (const spec of FLAG_SPECS) expect(text, spec.name).toMatch(new RegExp(`^ {2}(-\\w, )?--${spec.name}\\b`, 'm'));
    const noEffect = text.slice(text.indexOf('Accepted for compatibility'), text.indexOf('kernelet (not kubelet flags)'));
    expect(noEffect).toContain('--pod-infra-container-image IMAGE');
    expect(noEffect).toMatch(/Deprecated: will be removed in 1\.35/);
    expect(text).toMatch(/^ {2}config +print the final merged configuration as YAML/m);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(110);
  });
});
