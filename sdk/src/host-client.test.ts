import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { v1alpha1 } from '@kernelet/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bindUnixSocket, MAX_UNIX_PATH } from '@kernelet/proto/transport';
import { connectHost } from './host-client.js';
import { withoutTmpdir } from './without-tmpdir.test-helpers.js';

let base: string;
const cleanups: (() => unknown)[] = [];


beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'host-'));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(base, { recursive: true, force: true });
});

describe('connectHost', () => {
  it('reaches a host.sock path over 108 bytes (a deep root dir)', async () => {
    const hostSocket = join(base, 'r'.repeat(100), 'kernelet', 'host.sock');
    expect(Buffer.byteLength(hostSocket)).toBeGreaterThan(MAX_UNIX_PATH + 1);
    const server = new grpc.Server();
    server.addService(v1alpha1.HostService, {
      listPods: (_call, callback) => callback(null, { pods: [], synced: true }),
      terminatePod: (_call, callback) => callback(null, {}),
    } satisfies v1alpha1.HostServer);
    await withoutTmpdir(base, () => bindUnixSocket(server, hostSocket));
    cleanups.push(() => server.forceShutdown());

    const host = connectHost(hostSocket, 5000);
    cleanups.push(() => host.close());
    expect(await host.listPods()).toEqual({ pods: [], synced: true });
  });
});
