import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { runtime } from '@kernelet/proto';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GrpcCriConnection, GrpcRuntimeService } from '../cri/grpc-runtime-client.js';
import { RuntimeStatusReader } from '../cri/runtime-status-reader.js';
import { FakeCriServer } from '../cri/testing/fake-cri-server.js';
import { DEFAULT_PLEG_OPTIONS, GenericPleg, generateEvents, type PlegEvent, type PlegOptions } from './pleg.js';
import { PodStatusCache } from './pod-status-cache.js';

type State = Parameters<typeof generateEvents>[2];

describe('generateEvents (upstream generic PLEG)', () => {
  it.each<[State, State, PlegEvent['type'][]]>([
    ['non-existent', 'running', ['ContainerStarted']],
    ['exited', 'running', ['ContainerStarted']],
    ['running', 'exited', ['ContainerDied']],
    ['created', 'exited', ['ContainerDied']],
    ['running', 'non-existent', ['ContainerDied', 'ContainerRemoved']],
    ['unknown', 'non-existent', ['ContainerDied', 'ContainerRemoved']],
    ['exited', 'non-existent', ['ContainerRemoved']],
    ['running', 'unknown', ['ContainerChanged']],
    ['non-existent', 'created', ['ContainerChanged']],
    ['running', 'running', []],
    ['exited', 'exited', []],
  ])('%s -> %s', (before, after, types) => {
    expect(generateEvents('pod', 'c', before, after).map((e) => e.type)).toEqual(types);
    for (const e of generateEvents('pod', 'c', before, after)) expect(e).toMatchObject({ podUID: 'pod', containerId: 'c' });
  });
});

const UID = 'pod-uid-1';
const podLabels = { 'io.kubernetes.pod.uid': UID, 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'default' };
const sandbox = (state: runtime.PodSandboxState) =>
  runtime.PodSandbox.fromPartial({ id: 'sb1', metadata: { name: 'web', uid: UID, namespace: 'default', attempt: 0 }, state, createdAt: 1_000_000n, labels: podLabels });
const container = (state: runtime.ContainerState) =>
  runtime.Container.fromPartial({
    id: 'c1',
    podSandboxId: 'sb1',
    metadata: { name: 'main', attempt: 0 },
    state,
    createdAt: 2_000_000n,
    image: { image: 'busybox:v1' },
    imageRef: 'sha256:busybox',
    labels: { ...podLabels, 'io.kubernetes.container.name': 'main' },
  });

describe('GenericPleg against a runtime on a unix socket', () => {
  let dir = '';
  let server: FakeCriServer;
  let connection: GrpcCriConnection | undefined;
  let pleg: GenericPleg | undefined;
  let now = 0;
  const logs: { msg: string; [key: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });

  const makePleg = async (options: Partial<PlegOptions> = {}) => {
    connection = new GrpcCriConnection({ endpoint: server.endpoint, requestTimeoutMs: 10_000, logger });
    const service = new GrpcRuntimeService(connection);
    const cache = new PodStatusCache();
    pleg = new GenericPleg(service, new RuntimeStatusReader(service, { isHostNetwork: () => true }), cache, logger, { ...DEFAULT_PLEG_OPTIONS, evented: false, clock: () => now, ...options });
    const batches: PlegEvent[][] = [];
    pleg.watch((events) => batches.push([...events]));
    return { pleg, cache, batches };
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ker-pleg-'));
    server = await FakeCriServer.start({ socketPath: join(dir, 'cri.sock'), events: false });
    now = 1_000_000;
    logs.length = 0;
  });

  afterEach(async () => {
    pleg?.stop();
    pleg = undefined;
    connection?.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('turns what each relist finds into container started, died and removed events, and fills the status cache', async () => {
    const { pleg, cache, batches } = await makePleg();
    server.sandboxes = [sandbox(runtime.PodSandboxState.SANDBOX_READY)];
    server.containers = [container(runtime.ContainerState.CONTAINER_RUNNING)];
    await pleg.relist();
    expect(batches.at(-1)).toEqual([
      { podUID: UID, type: 'ContainerStarted', containerId: 'sb1' },
      { podUID: UID, type: 'ContainerStarted', containerId: 'c1' },
    ]);
    expect(cache.get(UID).status.containers.map((c) => [c.name, c.state])).toEqual([['main', 'running']]);

    await pleg.relist();
    expect(batches).toHaveLength(1); // nothing changed, nothing delivered

    server.containers = [container(runtime.ContainerState.CONTAINER_EXITED)];
    await pleg.relist();
    expect(batches.at(-1)).toEqual([{ podUID: UID, type: 'ContainerDied', containerId: 'c1' }]);
    expect(cache.get(UID).status.containers.map((c) => [c.name, c.state])).toEqual([['main', 'exited']]);

    server.containers = [];
    server.sandboxes = [];
    await pleg.relist();
    expect(batches.at(-1)).toEqual([
      { podUID: UID, type: 'ContainerDied', containerId: 'sb1' },
      { podUID: UID, type: 'ContainerRemoved', containerId: 'sb1' },
      { podUID: UID, type: 'ContainerRemoved', containerId: 'c1' },
    ]);
    expect(pleg.runtimePods()?.size).toBe(0);
  });

  it('is unhealthy before its first relist and once no relist succeeded for 3 minutes', async () => {
    const { pleg } = await makePleg();
    expect(pleg.healthy()).toEqual({ ok: false, message: 'pleg has yet to be successful' });
    await pleg.relist();
    expect(pleg.healthy()).toEqual({ ok: true, message: '' });
    now += 3 * 60_000;
    expect(pleg.healthy().ok).toBe(true);
    now += 1;
    expect(pleg.healthy()).toEqual({ ok: false, message: 'pleg was last seen active 3m0s ago; threshold is 3m0s' });

    // The runtime stops answering: relists fail, the last successful one counts, and the message says why.
    server.fail.set('RuntimeService/ListPodSandbox', { code: grpc.status.UNAVAILABLE, details: 'runtime is restarting' });
    await pleg.relist();
    now += 60_000;
    expect(pleg.healthy()).toEqual({
      ok: false,
      message: 'pleg was last seen active 4m0s ago; threshold is 3m0s: RuntimeService.ListPodSandbox failed (UNAVAILABLE): runtime is restarting',
    });
    server.fail.clear();
    await pleg.relist();
    expect(pleg.healthy()).toEqual({ ok: true, message: '' });
  });

  it('falls back to the generic relist when GetContainerEvents is UNIMPLEMENTED (containerd 1.6)', async () => {
    const { pleg } = await makePleg({ evented: true });
    await pleg.start();
    await expect.poll(() => logs.some((l) => l.msg.startsWith('the runtime does not stream container events'))).toBe(true);
    expect(pleg.mode).toBe('generic');
    expect(logs.some((l) => l.msg.startsWith('container event stream ended'))).toBe(false);
    await pleg.relist();
    now += 3 * 60_000 + 1;
    expect(pleg.healthy().ok).toBe(false); // the generic threshold applies
  });

  it('uses the evented PLEG while the runtime streams events: an event looks at its pod at once; the threshold is 10 minutes', async () => {
    await server.stop();
    server = await FakeCriServer.start({ socketPath: join(dir, 'events.sock'), events: true });
    const { pleg, batches } = await makePleg({ evented: true });
    await pleg.start();
    await expect.poll(() => server.eventStreams).toBe(1);

    server.sandboxes = [sandbox(runtime.PodSandboxState.SANDBOX_READY)];
    server.containers = [container(runtime.ContainerState.CONTAINER_RUNNING)];
    server.emitEvent({
      containerId: 'c1',
      containerEventType: runtime.ContainerEventType.CONTAINER_STARTED_EVENT,
      podSandboxStatus: runtime.PodSandboxStatus.fromPartial({ id: 'sb1', metadata: { name: 'web', uid: UID, namespace: 'default' }, labels: podLabels }),
    });
    await expect.poll(() => pleg.mode).toBe('evented');
    await expect.poll(() => batches.flat().find((e) => e.containerId === 'c1')).toEqual({ podUID: UID, type: 'ContainerStarted', containerId: 'c1' });

    await pleg.relist();
    now += 10 * 60_000;
    expect(pleg.healthy().ok).toBe(true);
    now += 1;
    expect(pleg.healthy()).toEqual({ ok: false, message: 'pleg was last seen active 10m0s ago; threshold is 10m0s' });

    // The stream ends (a runtime restart): back to relisting every second.
    server.endEventStreams();
    await expect.poll(() => pleg.mode).toBe('generic');
  });
});
