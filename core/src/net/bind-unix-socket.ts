import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';

/** Unix socket addresses hold at most 107 bytes of path. */
export const MAX_UNIX_PATH = 107;

/**
 * Binds a gRPC server to a unix socket at path, replacing a stale socket. A path too
 * long for a unix address is bound at a short temporary path and renamed into place
 * (the listening socket follows its inode).
 */
export async function bindUnixSocket(server: grpc.Server, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o750 });
  await rm(path, { force: true });
  const tooLong = Buffer.byteLength(path) > MAX_UNIX_PATH;
  const bindPath = tooLong ? join(tmpdir(), `kernelet-${randomBytes(6).toString('hex')}.sock`) : path;
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${bindPath}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
  );
  if (tooLong) await rename(bindPath, path);
}
