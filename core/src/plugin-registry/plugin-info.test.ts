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

  // Worded as upstream's plugin manager words NotifyRegistrationStatus errors: plugins match on them.
  const served = 'v1alpha1.AdmitHandler, v1alpha1.HintProvider, v1alpha1.PodSource, v1alpha1.StatusFunc';
  it.each([
    ['a DRA driver (no DRA manager yet)', { type: 'DRAPlugin' }, `RegisterPlugin error -- no handler registered for plugin type: DRAPlugin at socket ${socket}`],
    ['an empty type', { type: '' }, `RegisterPlugin error -- no handler registered for plugin type:  at socket ${socket}`],
    [
      'upper-case name',
      { name: 'CPU' },
      `RegisterPlugin error -- plugin validation failed with err: invalid plugin name "CPU": want lower-case alphanumerics, '-' and '.', at most 63 characters`,
    ],
    [
      'empty name',
      { name: '' },
      `RegisterPlugin error -- plugin validation failed with err: invalid plugin name "": want lower-case alphanumerics, '-' and '.', at most 63 characters`,
    ],
    [
      'no known service',
      { supportedVersions: ['v1.AdmitHandler'] },
      `RegisterPlugin error -- plugin validation failed with err: none of the supported versions [v1.AdmitHandler] is served by this agent (it serves ${served})`,
    ],
    [
      'no versions',
      { supportedVersions: [] },
      `RegisterPlugin error -- plugin validation failed with err: none of the supported versions [] is served by this agent (it serves ${served})`,
    ],
    ['relative endpoint', { endpoint: 'run/x.sock' }, 'RegisterPlugin error -- plugin validation failed with err: endpoint "run/x.sock" is not an absolute unix socket path'],
  ])('refuses %s', (_name, over, reason) => {
    expect(checkPluginInfo(info(over), socket)).toMatchObject({ ok: false, reason });
  });
});
