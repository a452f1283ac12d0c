import { describe, expect, it } from 'vitest';
import { bytes, hex, UNKNOWN_FIELDS } from './golden-bytes.js';
import { deviceplugin } from './index.js';

const DEVICE_PLUGIN_RPCS = [
  ['getDevicePluginOptions', 'GetDevicePluginOptions', false],
  ['listAndWatch', 'ListAndWatch', true],
  ['getPreferredAllocation', 'GetPreferredAllocation', false],
  ['allocate', 'Allocate', false],
  ['preStartContainer', 'PreStartContainer', false],
] as const;

describe('device plugin v1beta1 service definitions', () => {
  it('Registration.register is /v1beta1.Registration/Register', () => {
    expect(Object.keys(deviceplugin.RegistrationService)).toEqual(['register']);
    expect(deviceplugin.RegistrationService.register.path).toBe('/v1beta1.Registration/Register');
  });

  it.each(DEVICE_PLUGIN_RPCS)('DevicePlugin.%s is /v1beta1.DevicePlugin/%s', (key, rpc, responseStream) => {
    const method = deviceplugin.DevicePluginService[key];
    expect(method.path).toBe(`/v1beta1.DevicePlugin/${rpc}`);
    expect(method.requestStream).toBe(false);
    expect(method.responseStream).toBe(responseStream);
  });

  it('DevicePlugin has exactly the upstream rpcs', () => {
    expect(Object.keys(deviceplugin.DevicePluginService).sort()).toEqual(DEVICE_PLUGIN_RPCS.map(([key]) => key).sort());
  });
});

describe('device plugin v1beta1 wire format', () => {
  it('encodes a RegisterRequest', () => {
    const request = deviceplugin.RegisterRequest.fromPartial({
      version: 'v1beta1',
      endpoint: 'gpu.sock',
      resourceName: 'vendor.com/gpu',
      options: { preStartRequired: true, getPreferredAllocationAvailable: true },
    });
    const golden = bytes(`
      0a 07 76316265746131               -- 1 version "v1beta1"
      12 08 6770752e736f636b             -- 2 endpoint "gpu.sock"
      1a 0e 76656e646f722e636f6d2f677075 -- 3 resource_name "vendor.com/gpu"
      22 04 0801 1001                    -- 4 options: pre_start_required, get_preferred_allocation_available
    `);
    expect(hex(deviceplugin.RegisterRequest.encode(request).finish())).toBe(hex(golden));
  });

  it('encodes an AllocateRequest', () => {
    const request = deviceplugin.AllocateRequest.fromPartial({
      containerRequests: [{ devicesIds: ['dev0', 'dev1'] }],
    });
    const golden = bytes(`
      0a 0c                  -- 1 container_requests[0], 12 bytes
        0a 04 64657630       --   1 devices_ids "dev0"
        0a 04 64657631       --   1 devices_ids "dev1"
    `);
    expect(hex(deviceplugin.AllocateRequest.encode(request).finish())).toBe(hex(golden));
    expect(deviceplugin.AllocateRequest.decode(golden)).toEqual(request);
  });

  it('decodes an AllocateResponse with envs and CDI devices', () => {
    const golden = bytes(`
      0a 25                  -- 1 container_responses[0], 37 bytes
        0a 0c                --   1 envs entry, 12 bytes
          0a 07 44455649434553 --     key "DEVICES"
          12 01 30           --     value "0"
        2a 15                --   5 cdi_devices[0], 21 bytes
          0a 13 76656e646f722e636f6d2f6770753d67707530 -- name "vendor.com/gpu=gpu0"
    `);
    const response = deviceplugin.AllocateResponse.decode(golden);
    expect(response.containerResponses).toEqual([
      { envs: { DEVICES: '0' }, mounts: [], devices: [], annotations: {}, cdiDevices: [{ name: 'vendor.com/gpu=gpu0' }] },
    ]);
    expect(hex(deviceplugin.AllocateResponse.encode(response).finish())).toBe(hex(golden));
  });

  it('encodes a ListAndWatchResponse with NUMA topology', () => {
    const response = deviceplugin.ListAndWatchResponse.fromPartial({
      devices: [{ ID: 'gpu0', health: 'Healthy', topology: { nodes: [{ ID: 1n }] } }],
    });
    const golden = bytes(`
      0a 15                  -- 1 devices[0], 21 bytes
        0a 04 67707530       --   1 ID "gpu0"
        12 07 4865616c746879 --   2 health "Healthy"
        1a 04                --   3 topology
          0a 02 0801         --     1 nodes[0]: ID 1
    `);
    expect(hex(deviceplugin.ListAndWatchResponse.encode(response).finish())).toBe(hex(golden));
  });

  it('encodes the irregularly named preferred-allocation fields', () => {
    const request = deviceplugin.PreferredAllocationRequest.fromPartial({
      containerRequests: [{ availableDeviceIDs: ['a', 'b'], mustIncludeDeviceIDs: ['a'], allocationSize: 1 }],
    });
    const golden = bytes(`
      0a 0b                  -- 1 container_requests[0]
        0a 01 61  0a 01 62   --   1 available_deviceIDs "a", "b"
        12 01 61             --   2 must_include_deviceIDs "a"
        18 01                --   3 allocation_size 1
    `);
    expect(hex(deviceplugin.PreferredAllocationRequest.encode(request).finish())).toBe(hex(golden));
  });

  it('decodes past unknown fields', () => {
    const device = deviceplugin.Device.decode(bytes(`0a 04 67707530 ${UNKNOWN_FIELDS} 12 07 4865616c746879`));
    expect(device).toEqual({ ID: 'gpu0', health: 'Healthy', topology: undefined });
  });
});
