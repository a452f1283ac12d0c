import { describe, expect, it } from 'vitest';
import { bytes, hex, UNKNOWN_FIELDS } from './golden-bytes.js';
import { drahealthv1, drahealthv1alpha1 } from './index.js';

// v1 and v1alpha1 carry the same messages; only the proto package differs.
describe.each([
  ['v1alpha1', drahealthv1alpha1],
  ['v1', drahealthv1],
] as const)('DRA device health %s', (version, api) => {
  it(`DRAResourceHealth.nodeWatchResources is a server stream at /${version}.DRAResourceHealth/NodeWatchResources`, () => {
    expect(Object.keys(api.DRAResourceHealthService)).toEqual(['nodeWatchResources']);
    const method = api.DRAResourceHealthService.nodeWatchResources;
    expect(method.path).toBe(`/${version}.DRAResourceHealth/NodeWatchResources`);
    expect(method.requestStream).toBe(false);
    expect(method.responseStream).toBe(true);
  });

  it('uses upstream numbers for HealthStatus', () => {
    expect([api.HealthStatus.UNKNOWN, api.HealthStatus.HEALTHY, api.HealthStatus.UNHEALTHY]).toEqual([0, 1, 2]);
  });

  it('encodes a NodeWatchResourcesResponse', () => {
    const response = api.NodeWatchResourcesResponse.fromPartial({
      devices: [
        {
          device: { poolName: 'pool', deviceName: 'gpu-0' },
          health: api.HealthStatus.UNHEALTHY,
          lastUpdatedTime: 1_700_000_000n,
          healthCheckTimeoutSeconds: 30n,
          message: 'ECC',
        },
      ],
    });
    const golden = bytes(`
      0a 1e                      -- 1 devices[0], 30 bytes
        0a 0d                    --   1 device, 13 bytes
          0a 04 706f6f6c         --     1 pool_name "pool"
          12 05 6770752d30       --     2 device_name "gpu-0"
        10 02                    --   2 health UNHEALTHY
        18 80e2cfaa06            --   3 last_updated_time 1700000000
        20 1e                    --   4 health_check_timeout_seconds 30
        2a 03 454343             --   5 message "ECC"
    `);
    expect(hex(api.NodeWatchResourcesResponse.encode(response).finish())).toBe(hex(golden));
    expect(api.NodeWatchResourcesResponse.decode(golden)).toEqual(response);
  });

  it('decodes past unknown fields', () => {
    const health = api.DeviceHealth.decode(bytes(`10 01 ${UNKNOWN_FIELDS} 2a 02 6f6b`));
    expect(health.health).toBe(api.HealthStatus.HEALTHY);
    expect(health.message).toBe('ok');
  });
});
