import { describe, expect, it } from 'vitest';
import { checkPluginInfo } from './plugin-info.js';

const socket = '/var/lib/kubelet/plugins_registry/x.sock';
const info = (over: Partial<{ type: string; name: string; endpoint: string; supportedVersions: string[] }>) => ({
  type: 'KerneletPlugin',
  name: 'cpu-manager',
  endpoint: '',
  supportedVersions: ['v1alpha1.HintProvider'],
  ...over,
});

describe('checkPluginInfo', () => {
  it('accepts a kernelet plugin, keeping only the services this agent serves', () => {
    expect(checkPluginInfo(info({ supportedVersions: ['v1alpha1.HintProvider', 'v2.Future', 'v1alpha1.HintProvider', 'v1alpha1.StatusFunc'] }), socket)).toEqual({
      ok: true,
      name: 'cpu-manager',
      type: 'KerneletPlugin',
      services: ['v1alpha1.HintProvider', 'v1alpha1.StatusFunc'],
      endpoint: socket,
    });
  });

  it('uses a separate endpoint when the plugin names one', () => {
    expect(checkPluginInfo(info({ endpoint: '/run/x/service.sock' }), socket)).toMatchObject({ ok: true, endpoint: '/run/x/service.sock' });
  });

  it.each([
    ['a DRA driver (no DRA manager yet)', { type: 'DRAPlugin' }, `no handler registered for plugin type: DRAPlugin at socket ${socket}`],
    ['an empty type', { type: '' }, `no handler registered for plugin type: (empty) at socket ${socket}`],
    ['upper-case name', { name: 'CPU' }, 'invalid plugin name "CPU"'],
    ['empty name', { name: '' }, 'invalid plugin name ""'],
    ['no known service', { supportedVersions: ['v1.AdmitHandler'] }, 'none of the supported versions [v1.AdmitHandler] is served by this agent'],
    ['no versions', { supportedVersions: [] }, 'none of the supported versions [] is served by this agent'],
    ['relative endpoint', { endpoint: 'run/x.sock' }, 'endpoint "run/x.sock" is not an absolute unix socket path'],
  ])('refuses %s', (_name, over, reason) => {
    const result = checkPluginInfo(info(over), socket);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(reason);
  });
});
