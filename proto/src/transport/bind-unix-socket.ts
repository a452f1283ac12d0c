import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';

/** Unix socket addresses hold at most 107 bytes of path. */
export const MAX_UNIX_PATH = 107;

/**
 * Binds a gRPC server to a unix socket at path, replacing a stale socket, and returns the
 * address it bound (for server.unbind). A path too long for a unix address is bound inside
 * its own directory, reached through /proc/self/fd/<dir fd> (Linux), under a short hidden
 * name, then renamed to its name: a rename within one directory, so it works whatever
 * filesystem the directory is on (binding in /tmp and moving the socket fails across
 * filesystems), and the listening socket follows its inode. The short name is random and
 * never reused because the runtime unlinks the path it bound when the server closes, and
 * by then the directory fd is closed and its number may name another directory.
 */
export async function bindUnixSocket(server: grpc.Server, path: string): Promise<string> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o750 });
  await rm(path, { force: true });
  if (Buffer.byteLength(path) <= MAX_UNIX_PATH) return bind(server, `unix://${path}`);

  const hidden = `.kernelet-${randomBytes(6).toString('hex')}.sock`;
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  let address: string | undefined;
  try {
    address = await bind(server, `unix:///proc/self/fd/${handle.fd}/${hidden}`);
    await rename(join(dir, hidden), path);
    return address;
  } catch (error) {
    if (address !== undefined) server.unbind(address);
    await rm(join(dir, hidden), { force: true });
    throw new Error(`cannot bind unix socket ${path} (${Buffer.byteLength(path)} bytes, through ${basename(dir)}/${hidden}): ${(error as Error).message}`, { cause: error });
  } finally {
    await handle.close();
  }
}

function bind(server: grpc.Server, address: string): Promise<string> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve(address))),
  );
}
