import { describe, expect, it } from 'vitest';
import { bytes, hex, UNKNOWN_FIELDS } from './golden-bytes.js';
import { podresources } from './index.js';

describe('pod resources v1 service definitions', () => {
  it.each([
    ['list', 'List'],
    ['getAllocatableResources', 'GetAllocatableResources'],
    ['get', 'Get'],
  ] as const)('PodResourcesLister.%s is /v1.PodResourcesLister/%s', (key, rpc) => {
    const method = podresources.PodResourcesListerService[key];
    expect(method.path).toBe(`/v1.PodResourcesLister/${rpc}`);
    expect(method.requestStream).toBe(false);
    expect(method.responseStream).toBe(false);
  });

  it('PodResourcesLister has exactly the upstream rpcs', () => {
    expect(Object.keys(podresources.PodResourcesListerService).sort()).toEqual(['get', 'getAllocatableResources', 'list']);
  });
});

describe('pod resources v1 wire format', () => {
  it('encodes a ListPodResourcesResponse with device topology and exclusive CPUs', () => {
    const response = podresources.ListPodResourcesResponse.fromPartial({
      podResources: [
        {
          name: 'web',
          namespace: 'prod',
          containers: [
            {
              name: 'app',
              devices: [{ resourceName: 'vendor.com/gpu', deviceIds: ['gpu0'], topology: { nodes: [{ ID: 0n }, { ID: 1n }] } }],
              cpuIds: [2n, 3n],
            },
          ],
        },
      ],
    });
    const golden = bytes(`
      0a 36                              -- 1 pod_resources[0], 54 bytes
        0a 03 776562                     --   1 name "web"
        12 04 70726f64                   --   2 namespace "prod"
        1a 29                            --   3 containers[0], 41 bytes
          0a 03 617070                   --     1 name "app"
          12 1e                          --     2 devices[0], 30 bytes
            0a 0e 76656e646f722e636f6d2f677075 -- 1 resource_name "vendor.com/gpu"
            12 04 67707530               --       2 device_ids "gpu0"
            1a 06                        --       3 topology
              0a 00                      --         nodes[0]: ID 0, an empty message
              0a 02 0801                 --         nodes[1]: ID 1
          1a 02 02 03                    --     3 cpu_ids, packed: 2, 3
    `);
    expect(hex(podresources.ListPodResourcesResponse.encode(response).finish())).toBe(hex(golden));
    expect(podresources.ListPodResourcesResponse.decode(golden)).toEqual(response);
  });

  it('encodes an AllocatableResourcesResponse with memory per NUMA node', () => {
    const response = podresources.AllocatableResourcesResponse.fromPartial({
      cpuIds: [0n, 1n, 2n, 3n],
      memory: [{ memoryType: 'memory', size: 2n ** 34n, topology: { nodes: [{ ID: 0n }] } }],
    });
    const golden = bytes(`
      12 04 00 01 02 03                  -- 2 cpu_ids, packed
      1a 12                              -- 3 memory[0], 18 bytes
        0a 06 6d656d6f7279               --   1 memory_type "memory"
        10 8080808040                    --   2 size 16 GiB
        1a 02 0a00                       --   3 topology: NUMA node 0
    `);
    expect(hex(podresources.AllocatableResourcesResponse.encode(response).finish())).toBe(hex(golden));
  });

  it('accepts cpu_ids unpacked as well as packed', () => {
    // Parsers must accept both encodings of a repeated scalar.
    expect(podresources.ContainerResources.decode(bytes('18 02 18 03')).cpuIds).toEqual([2n, 3n]);
    expect(podresources.ContainerResources.decode(bytes('1a 02 02 03')).cpuIds).toEqual([2n, 3n]);
  });

  it('encodes DRA claim resources', () => {
    const resource = podresources.DynamicResource.fromPartial({
      claimName: 'gpu',
      claimNamespace: 'prod',
      claimResources: [{ driverName: 'd', poolName: 'p', deviceName: 'g0', cdiDevices: [{ name: 'v/g=0' }] }],
    });
    const golden = bytes(`
      12 03 677075                       -- 2 claim_name "gpu" (1 is retired)
      1a 04 70726f64                     -- 3 claim_namespace "prod"
      22 13                              -- 4 claim_resources[0], 19 bytes
        0a 07 0a05762f673d30             --   1 cdi_devices[0] "v/g=0"
        12 01 64                         --   2 driver_name "d"
        1a 01 70                         --   3 pool_name "p"
        22 02 6730                       --   4 device_name "g0"
    `);
    expect(hex(podresources.DynamicResource.encode(resource).finish())).toBe(hex(golden));
  });

  it('decodes past unknown fields', () => {
    const request = podresources.GetPodResourcesRequest.decode(bytes(`0a 03 776562 ${UNKNOWN_FIELDS} 12 04 70726f64`));
    expect(request).toEqual({ podName: 'web', podNamespace: 'prod' });
  });
});
