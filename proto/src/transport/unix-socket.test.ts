import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bindUnixSocket, MAX_UNIX_PATH } from './bind-unix-socket.js';
import { UnixSocketLinks } from './unix-socket-links.js';

let base: string;
let server: grpc.Server;
const links = new UnixSocketLinks();

function ready(path: string): Promise<void> {
  const client = new grpc.Client(`unix://${path}`, grpc.credentials.createInsecure());
  return new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 5000, (error) => (error ? reject(error) : resolve()))).finally(() => client.close());
}

/** Runs fn with TMPDIR pointing nowhere: whatever it puts in the temp directory fails. */
async function withoutTmpdir<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env['TMPDIR'];
  process.env['TMPDIR'] = join(base, 'no-such-tmp');
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = saved;
  }
}

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'bus-'));
  server = new grpc.Server();
});

afterEach(async () => {
  server.forceShutdown();
  await links.remove();
  await rm(base, { recursive: true, force: true });
});

describe('bindUnixSocket', () => {
  it.each([
    ['a long directory', join('d'.repeat(60), 'e'.repeat(60), 'host.sock')],
    ['a long file name', `${'long-'.repeat(22)}path.sock`],
  ])('binds a path over 108 bytes (%s) inside its own directory, never in the temp directory', async (_name, relative) => {
    const path = join(base, relative);
    expect(Buffer.byteLength(path)).toBeGreaterThan(MAX_UNIX_PATH + 1);
    await withoutTmpdir(() => bindUnixSocket(server, path));

    expect((await stat(path)).isSocket()).toBe(true);
    // The short name it was bound under is gone: only the socket is left, under its own name.
    expect(await readdir(dirname(path))).toEqual([relative.split('/').at(-1)]);
    await ready(await links.dialPath(path));
  });

  it('binds a short path where it is, replacing a stale socket', async () => {
    const path = join(base, 'kernelet', 'host.sock');
    const stale = new grpc.Server();
    await bindUnixSocket(stale, path);
    stale.forceShutdown();
    await bindUnixSocket(server, path);
    await ready(path);
  });
});

describe('UnixSocketLinks', () => {
  it('dials a short path as it is, and a long one through a link in a private directory', async () => {
    expect(await links.dialPath('/run/kernelet/x.sock')).toBe('/run/kernelet/x.sock');
    const long = join(base, 'f'.repeat(120), 'x.sock');
    const link = await links.dialPath(long);
    expect(Buffer.byteLength(link)).toBeLessThanOrEqual(MAX_UNIX_PATH);
    expect(dirname(link)).toMatch(/kernelet-links-\w{6}$/);
    expect((await stat(dirname(link))).mode & 0o777).toBe(0o700);
    expect(await links.dialPath(long)).toBe(link);
    await links.remove();
    await expect(stat(dirname(link))).rejects.toThrow(/ENOENT/);
  });
});
