import { credentials, Metadata, Server, ServerCredentials } from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytes, hex, UNKNOWN_FIELDS } from './golden-bytes.js';
import { runtime } from './index.js';

const unary = false;
const stream = true;

const RUNTIME_RPCS = [
  ['version', 'Version', unary],
  ['runPodSandbox', 'RunPodSandbox', unary],
  ['stopPodSandbox', 'StopPodSandbox', unary],
  ['removePodSandbox', 'RemovePodSandbox', unary],
  ['podSandboxStatus', 'PodSandboxStatus', unary],
  ['listPodSandbox', 'ListPodSandbox', unary],
  ['streamPodSandboxes', 'StreamPodSandboxes', stream],
  ['createContainer', 'CreateContainer', unary],
  ['startContainer', 'StartContainer', unary],
  ['stopContainer', 'StopContainer', unary],
  ['removeContainer', 'RemoveContainer', unary],
  ['listContainers', 'ListContainers', unary],
  ['streamContainers', 'StreamContainers', stream],
  ['containerStatus', 'ContainerStatus', unary],
  ['updateContainerResources', 'UpdateContainerResources', unary],
  ['reopenContainerLog', 'ReopenContainerLog', unary],
  ['execSync', 'ExecSync', unary],
  ['exec', 'Exec', unary],
  ['attach', 'Attach', unary],
  ['portForward', 'PortForward', unary],
  ['containerStats', 'ContainerStats', unary],
  ['listContainerStats', 'ListContainerStats', unary],
  ['streamContainerStats', 'StreamContainerStats', stream],
  ['podSandboxStats', 'PodSandboxStats', unary],
  ['listPodSandboxStats', 'ListPodSandboxStats', unary],
  ['streamPodSandboxStats', 'StreamPodSandboxStats', stream],
  ['updateRuntimeConfig', 'UpdateRuntimeConfig', unary],
  ['status', 'Status', unary],
  ['checkpointContainer', 'CheckpointContainer', unary],
  ['getContainerEvents', 'GetContainerEvents', stream],
  ['listMetricDescriptors', 'ListMetricDescriptors', unary],
  ['listPodSandboxMetrics', 'ListPodSandboxMetrics', unary],
  ['streamPodSandboxMetrics', 'StreamPodSandboxMetrics', stream],
  ['runtimeConfig', 'RuntimeConfig', unary],
  ['updatePodSandboxResources', 'UpdatePodSandboxResources', unary],
] as const;

const IMAGE_RPCS = [
  ['listImages', 'ListImages', unary],
  ['streamImages', 'StreamImages', stream],
  ['imageStatus', 'ImageStatus', unary],
  ['pullImage', 'PullImage', unary],
  ['removeImage', 'RemoveImage', unary],
  ['imageFsInfo', 'ImageFsInfo', unary],
] as const;

describe('CRI runtime v1 service definitions', () => {
  it.each(RUNTIME_RPCS)('RuntimeService.%s is /runtime.v1.RuntimeService/%s', (key, rpc, responseStream) => {
    const method = runtime.RuntimeServiceService[key];
    expect(method.path).toBe(`/runtime.v1.RuntimeService/${rpc}`);
    expect(method.requestStream).toBe(false);
    expect(method.responseStream).toBe(responseStream);
  });

  it('RuntimeService has exactly the upstream rpcs', () => {
    expect(Object.keys(runtime.RuntimeServiceService).sort()).toEqual(RUNTIME_RPCS.map(([key]) => key).sort());
  });

  it.each(IMAGE_RPCS)('ImageService.%s is /runtime.v1.ImageService/%s', (key, rpc, responseStream) => {
    const method = runtime.ImageServiceService[key];
    expect(method.path).toBe(`/runtime.v1.ImageService/${rpc}`);
    expect(method.requestStream).toBe(false);
    expect(method.responseStream).toBe(responseStream);
  });

  it('ImageService has exactly the upstream rpcs', () => {
    expect(Object.keys(runtime.ImageServiceService).sort()).toEqual(IMAGE_RPCS.map(([key]) => key).sort());
  });
});

describe('CRI runtime v1 wire format', () => {
  it('encodes a PodSandboxConfig with metadata and a label map', () => {
    const config = runtime.PodSandboxConfig.fromPartial({
      metadata: { name: 'nginx', uid: 'u1', namespace: 'default', attempt: 1 },
      labels: { app: 'web' },
    });
    const golden = bytes(`
      0a 16                      -- 1 metadata, 22 bytes
        0a 05 6e67696e78         --   1 name "nginx"
        12 02 7531               --   2 uid "u1"
        1a 07 64656661756c74     --   3 namespace "default"
        20 01                    --   4 attempt 1
      32 0a                      -- 6 labels entry, 10 bytes
        0a 03 617070             --   key "app"
        12 03 776562             --   value "web"
    `);
    expect(hex(runtime.PodSandboxConfig.encode(config).finish())).toBe(hex(golden));
    expect(runtime.PodSandboxConfig.decode(golden)).toEqual(config);
  });

  it('keeps a nanosecond timestamp above 2^53 exact as a bigint', () => {
    const status = runtime.ContainerStatus.fromPartial({
      id: 'c1',
      state: runtime.ContainerState.CONTAINER_EXITED,
      createdAt: 2n ** 60n,
      exitCode: 137,
    });
    const golden = bytes(`
      0a 02 6331                 -- 1 id "c1"
      18 02                      -- 3 state CONTAINER_EXITED
      20 8080808080808080 10     -- 4 created_at 2^60
      38 8901                    -- 7 exit_code 137
    `);
    expect(hex(runtime.ContainerStatus.encode(status).finish())).toBe(hex(golden));

    const decoded = runtime.ContainerStatus.decode(golden);
    expect(typeof decoded.createdAt).toBe('bigint');
    expect(decoded.createdAt).toBe(1152921504606846976n);

    // One nanosecond past 2^60 is not representable as a JS number; it must survive.
    const later = runtime.ContainerStatus.fromPartial({ createdAt: 2n ** 60n + 1n });
    expect(Number(later.createdAt)).toBe(2 ** 60);
    expect(runtime.ContainerStatus.decode(runtime.ContainerStatus.encode(later).finish()).createdAt).toBe(
      1152921504606846977n,
    );
  });

  it('encodes a negative int64 as a ten-byte varint, not zigzag', () => {
    const resources = runtime.LinuxContainerResources.fromPartial({ oomScoreAdj: -997n });
    const golden = bytes('28 9bf8ffffffffffffff01');
    expect(hex(runtime.LinuxContainerResources.encode(resources).finish())).toBe(hex(golden));
    expect(runtime.LinuxContainerResources.decode(golden).oomScoreAdj).toBe(-997n);
  });

  it('uses upstream numbers for enum values', () => {
    expect(runtime.Signal.SIGKILL).toBe(13);
    expect(runtime.Signal.SIGTERM).toBe(23);
    expect(runtime.Signal.SIGRTMAX).toBe(65);
    expect(runtime.ContainerEventType.CONTAINER_DELETED_EVENT).toBe(3);
    expect(runtime.NamespaceMode.TARGET).toBe(3);
    expect(runtime.CgroupDriver.CGROUPFS).toBe(1);
    expect(runtime.SecurityProfile_ProfileType.Localhost).toBe(2);
  });

  it('encodes the irregular upstream field names under their upstream numbers', () => {
    const config = runtime.ContainerConfig.fromPartial({
      CDIDevices: [{ name: 'v/g=0' }],
      stopSignal: runtime.Signal.SIGTERM,
    });
    // 17 CDI_devices (tag 0x8a 0x01), 18 stop_signal (tag 0x90 0x01).
    expect(hex(runtime.ContainerConfig.encode(config).finish())).toBe('8a0107' + '0a05762f673d30' + '900117');
  });

  it('decodes past unknown fields of every wire type', () => {
    const golden = bytes(`0a 02 6331 ${UNKNOWN_FIELDS} 38 8901`);
    const decoded = runtime.ContainerStatus.decode(golden);
    expect(decoded.id).toBe('c1');
    expect(decoded.exitCode).toBe(137);
  });

  it('keeps an enum value it does not know', () => {
    // A newer runtime may report a state added after this file was written.
    expect(runtime.ContainerStatus.decode(bytes('18 07')).state).toBe(7);
  });
});

describe('CRI runtime v1 over grpc-js', () => {
  it('serves a unary call and a server stream on a unix socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kernelet-cri-'));
    const address = `unix:${join(dir, 'cri.sock')}`;
    const server = new Server();
    // Only two handlers: grpc-js answers the other rpcs with UNIMPLEMENTED.
    const handlers: Pick<runtime.RuntimeServiceServer, 'version' | 'getContainerEvents'> = {
      version: (call, callback) => {
        callback(null, runtime.VersionResponse.fromPartial({ version: call.request.version, runtimeName: 'fake' }));
      },
      getContainerEvents: (call) => {
        call.write(runtime.ContainerEventResponse.fromPartial({ containerId: 'c1', createdAt: 2n ** 60n + 1n }));
        call.end();
      },
    };
    server.addService(runtime.RuntimeServiceService, handlers);
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(address, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    const client = new runtime.RuntimeServiceClient(address, credentials.createInsecure());
    try {
      const deadline = Date.now() + 5_000;
      const version = await new Promise<runtime.VersionResponse>((resolve, reject) =>
        client.version({ version: 'v1' }, new Metadata(), { deadline }, (err, response) => (err ? reject(err) : resolve(response))),
      );
      expect(version).toEqual({ version: 'v1', runtimeName: 'fake', runtimeVersion: '', runtimeApiVersion: '' });

      const events: runtime.ContainerEventResponse[] = [];
      for await (const event of client.getContainerEvents({}, { deadline })) {
        events.push(event as runtime.ContainerEventResponse);
      }
      expect(events.map((e) => [e.containerId, e.createdAt])).toEqual([['c1', 1152921504606846977n]]);
    } finally {
      client.close();
      server.forceShutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
