import { describe, expect, it } from 'vitest';
import { bytes, hex, UNKNOWN_FIELDS } from './golden-bytes.js';
import { dra, drav1 } from './index.js';

// The two versions share their messages; only the proto package, and so the
// method paths, differ.
describe.each([
  ['v1beta1', dra],
  ['v1', drav1],
] as const)('DRA kubelet plugin API %s', (version, api) => {
  const service = `/k8s.io.kubelet.pkg.apis.dra.${version}.DRAPlugin`;

  it.each([
    ['nodePrepareResources', 'NodePrepareResources'],
    ['nodeUnprepareResources', 'NodeUnprepareResources'],
  ] as const)(`DRAPlugin.%s is ${service}/%s`, (key, rpc) => {
    const method = api.DRAPluginService[key];
    expect(method.path).toBe(`${service}/${rpc}`);
    expect(method.requestStream).toBe(false);
    expect(method.responseStream).toBe(false);
  });

  it('DRAPlugin has exactly the upstream rpcs', () => {
    expect(Object.keys(api.DRAPluginService).sort()).toEqual(['nodePrepareResources', 'nodeUnprepareResources']);
  });

  it('encodes a NodePrepareResourcesRequest', () => {
    const request = api.NodePrepareResourcesRequest.fromPartial({
      claims: [{ namespace: 'default', uid: 'uid-1', name: 'gpu-claim' }],
    });
    const golden = bytes(`
      0a 1b                      -- 1 claims[0], 27 bytes
        0a 07 64656661756c74     --   1 namespace "default"
        12 05 7569642d31         --   2 uid "uid-1"
        1a 09 6770752d636c61696d --   3 name "gpu-claim"
    `);
    expect(hex(api.NodePrepareResourcesRequest.encode(request).finish())).toBe(hex(golden));
  });

  it('encodes a NodePrepareResourcesResponse keyed by claim UID', () => {
    const response = api.NodePrepareResourcesResponse.fromPartial({
      claims: {
        'uid-1': {
          devices: [
            { requestNames: ['gpu'], poolName: 'node-a', deviceName: 'gpu-0', cdiDeviceIds: ['vendor.com/gpu=gpu0'] },
          ],
        },
      },
    });
    const golden = bytes(`
      0a 34                      -- 1 claims entry, 52 bytes
        0a 05 7569642d31         --   key "uid-1"
        12 2b                    --   value, 43 bytes
          0a 29                  --     1 devices[0], 41 bytes
            0a 03 677075         --       1 request_names "gpu"
            12 06 6e6f64652d61   --       2 pool_name "node-a"
            1a 05 6770752d30     --       3 device_name "gpu-0"
            22 13 76656e646f722e636f6d2f6770753d67707530 -- 4 cdi_device_ids
    `);
    expect(hex(api.NodePrepareResourcesResponse.encode(response).finish())).toBe(hex(golden));
    expect(api.NodePrepareResourcesResponse.decode(golden)).toEqual(response);
  });

  it('decodes a per-claim error next to a prepared claim', () => {
    const golden = bytes(`
      0a 0f  0a 05 7569642d32  12 06 12 04 626f6f6d  -- "uid-2": error "boom"
      0a 09  0a 05 7569642d31  12 00                 -- "uid-1": prepared, no devices
    `);
    const response = api.NodePrepareResourcesResponse.decode(golden);
    expect(response.claims['uid-2']).toEqual({ devices: [], error: 'boom' });
    expect(response.claims['uid-1']).toEqual({ devices: [], error: '' });
  });

  it('keeps an entry for every unprepared claim, even an empty one', () => {
    const response = api.NodeUnprepareResourcesResponse.fromPartial({ claims: { 'uid-1': {} } });
    expect(hex(api.NodeUnprepareResourcesResponse.encode(response).finish())).toBe('0a090a057569642d311200');
  });

  it('decodes past unknown fields', () => {
    const claim = api.Claim.decode(bytes(`0a 07 64656661756c74 ${UNKNOWN_FIELDS} 12 05 7569642d31`));
    expect(claim).toEqual({ namespace: 'default', uid: 'uid-1', name: '' });
  });
});
