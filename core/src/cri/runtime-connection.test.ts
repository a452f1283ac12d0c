import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RuntimeState } from '../node/runtime-state.js';
import { CriError } from './cri-error.js';
import { GrpcCriConnection, GrpcImageService, GrpcRuntimeService } from './grpc-runtime-client.js';
import { RuntimeConnection } from './runtime-connection.js';
import { FakeCriServer } from './testing/fake-cri-server.js';

const logger = pino({ level: 'silent' });

describe('the CRI client against a runtime on a unix socket', () => {
  let dir = '';
  let socketPath = '';
  let server: FakeCriServer | undefined;
  const connections: GrpcCriConnection[] = [];

  const connect = (requestTimeoutMs = 120_000) => {
    const connection = new GrpcCriConnection({ endpoint: `unix://${socketPath}`, requestTimeoutMs, logger });
    connections.push(connection);
    return connection;
  };
  const runtimeConnection = (service: GrpcRuntimeService, state: RuntimeState) =>
    new RuntimeConnection({ runtimeEndpoint: `unix://${socketPath}`, imageEndpoint: `unix://${socketPath}` }, service, state, logger);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ker-cri-'));
    socketPath = join(dir, 'cri.sock');
  });

  afterEach(async () => {
    for (const c of connections.splice(0)) c.close();
    await server?.stop();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('handshakes: announces API version 0.1.0, accepts a v1 runtime and records its name and version', async () => {
    server = await FakeCriServer.start({ socketPath });
    const state = new RuntimeState();
    await runtimeConnection(new GrpcRuntimeService(connect()), state).checkNow();
    expect(server.versionRequests).toEqual(['0.1.0']);
    expect(state.runtimeUp).toBe(true);
    expect(state.errors()).toEqual([]);
    expect(state.runtimeName).toBe('fake');
    expect(state.runtimeVersion).toBe('fake://1.2.3');
  });

  it('refuses a runtime that does not speak CRI v1, and keeps asking until it does', async () => {
    server = await FakeCriServer.start({ socketPath });
    server.runtimeApiVersion = 'v1alpha2';
    const state = new RuntimeState();
    const link = runtimeConnection(new GrpcRuntimeService(connect()), state);
    await link.checkNow();
    expect(state.runtimeUp).toBe(false);
    expect(state.errors()).toEqual([`container runtime is down: the runtime at unix://${socketPath} speaks CRI v1alpha2, not v1`]);
    server.runtimeApiVersion = 'v1';
    await link.checkNow();
    expect(state.runtimeUp).toBe(true);
    expect(server.versionRequests).toHaveLength(2);
  });

  it('reports a runtime that is not there as down, and comes up when it answers', async () => {
    const state = new RuntimeState();
    const link = runtimeConnection(new GrpcRuntimeService(connect()), state);
    await link.checkNow();
    expect(state.runtimeUp).toBe(false);
    expect(state.errors()[0]).toMatch(/^container runtime is down: RuntimeService\.Version failed \(UNAVAILABLE\): /);
    server = await FakeCriServer.start({ socketPath });
    await expect.poll(async () => (await link.checkNow(), state.runtimeUp), { timeout: 10_000 }).toBe(true);
  });

  it('gives every call runtimeRequestTimeout as its deadline, and a pull at least 30 minutes', async () => {
    server = await FakeCriServer.start({ socketPath });
    const connection = connect(45_000);
    const before = Date.now();
    await new GrpcRuntimeService(connection).status();
    await new GrpcImageService(connection).pullImage({ image: 'x:v1', annotations: {}, userSpecifiedImage: 'x:v1', runtimeHandler: '', imageRef: '' });
    const after = Date.now();
    const status = server.deadlines.get('RuntimeService/Status') ?? 0;
    expect(status).toBeGreaterThanOrEqual(before + 45_000 - 1000);
    expect(status).toBeLessThanOrEqual(after + 45_000 + 1000);
    expect(server.deadlines.get('ImageService/PullImage') ?? 0).toBeGreaterThanOrEqual(before + 30 * 60_000 - 1000);
  });

  it('fails a call the runtime does not answer within runtimeRequestTimeout with DEADLINE_EXCEEDED, and marks the runtime down', async () => {
    server = await FakeCriServer.start({ socketPath });
    server.hang.add('RuntimeService/Status');
    // The connection's check makes a Version call under the same deadline, which must be
    // answered: 1 s, not less, so a stalled process on a loaded machine cannot miss it.
    const service = new GrpcRuntimeService(connect(1000));
    const error = await service.status().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CriError);
    expect(error).toMatchObject({ method: 'RuntimeService.Status', code: grpc.status.DEADLINE_EXCEEDED });

    const state = new RuntimeState();
    await runtimeConnection(service, state).checkNow();
    expect(state.runtimeUp).toBe(false);
    expect(state.errors()[0]).toMatch(/^container runtime is down: RuntimeService\.Status failed \(DEADLINE_EXCEEDED\)/);
  });
});
