import { describe, expect, it } from 'vitest';
import { bytes, hex, UNKNOWN_FIELDS } from './golden-bytes.js';
import { pluginregistration } from './index.js';

describe('pluginregistration v1', () => {
  it.each([
    ['getInfo', 'GetInfo'],
    ['notifyRegistrationStatus', 'NotifyRegistrationStatus'],
  ] as const)('Registration.%s is /pluginregistration.Registration/%s', (key, rpc) => {
    expect(pluginregistration.RegistrationService[key].path).toBe(`/pluginregistration.Registration/${rpc}`);
  });

  it('Registration has exactly the upstream rpcs', () => {
    expect(Object.keys(pluginregistration.RegistrationService).sort()).toEqual(['getInfo', 'notifyRegistrationStatus']);
  });

  it('encodes a PluginInfo', () => {
    const info = pluginregistration.PluginInfo.fromPartial({
      type: 'DRAPlugin',
      name: 'd',
      supportedVersions: ['v1.DRAPlugin'],
    });
    const golden = bytes(`
      0a 09 445241506c7567696e       -- 1 type "DRAPlugin"
      12 01 64                       -- 2 name "d"
      22 0c 76312e445241506c7567696e -- 4 supported_versions "v1.DRAPlugin"
    `);
    expect(hex(pluginregistration.PluginInfo.encode(info).finish())).toBe(hex(golden));
  });

  it('decodes past unknown fields', () => {
    const status = pluginregistration.RegistrationStatus.decode(bytes(`08 01 ${UNKNOWN_FIELDS} 12 01 78`));
    expect(status).toEqual({ pluginRegistered: true, error: 'x' });
  });
});
