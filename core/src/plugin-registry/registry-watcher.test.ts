import { chmod, mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { fileIdentity, RegistryWatcher, type RegistryEntry } from './registry-watcher.js';

let dir: string;
let watcher: RegistryWatcher;
let scans: (readonly RegistryEntry[])[];
let scanWaiters: (() => void)[];
const servers: Server[] = [];

function listen(path: string): Promise<Server> {
  const server = createServer();
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Resolves at the first scan (one already made, or one to come) whose entries include path. */
async function scanShowing(path: string): Promise<void> {
  while (!scans.at(-1)?.some((e) => e.path === path)) await new Promise<void>((wake) => scanWaiters.push(wake));
}

async function scan(): Promise<readonly RegistryEntry[]> {
  await watcher.scanNow();
  return scans.at(-1) ?? [];
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-'));
  scans = [];
  scanWaiters = [];
  const silent = createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) });
  // No periodic rescan in these tests: each scan is asked for.
  watcher = new RegistryWatcher(
    dir,
    3_600_000,
    (entries) => {
      scans.push(entries);
      for (const wake of scanWaiters.splice(0)) wake();
    },
    silent,
  );
});

afterEach(async () => {
  watcher.stop();
  await Promise.all(servers.splice(0).map((s) => (s.listening ? close(s) : undefined)));
  await rm(dir, { recursive: true, force: true });
});

describe('fileIdentity', () => {
  it('tells a socket bound again on a reused inode number from the one before it', () => {
    const before = { dev: 2049n, ino: 131n, birthtimeNs: 1_700_000_000_000_000_000n };
    expect(fileIdentity({ ...before })).toBe(fileIdentity(before));
    expect(fileIdentity({ ...before, birthtimeNs: before.birthtimeNs + 1n })).not.toBe(fileIdentity(before));
    expect(fileIdentity({ ...before, ino: 132n })).not.toBe(fileIdentity(before));
  });
});

describe('RegistryWatcher', () => {
  it('keeps a live socket\'s identity through chmod and touch, and changes it when the socket is replaced', async () => {
    const path = join(dir, 'live.sock');
    const first = await listen(path);
    await watcher.start();
    const [before] = await scan();
    expect(before).toMatchObject({ path, kind: 'socket' });

    await chmod(path, 0o600);
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    expect((await scan())[0]?.identity).toBe(before?.identity);

    // The replacement is bound while the first still listens, so it cannot reuse its inode number.
    await listen(join(dir, '.next.sock'));
    await rename(join(dir, '.next.sock'), path);
    expect((await scan())[0]?.identity).not.toBe(before?.identity);
    await close(first);
  });

  it('walks subdirectories, follows symlinks to sockets, and ignores dot names and links to directories', async () => {
    await mkdir(join(dir, 'vendor', 'deep'), { recursive: true });
    await mkdir(join(dir, '.hidden'));
    await mkdir(join(dir, 'outside-target'));
    await listen(join(dir, 'top.sock'));
    await listen(join(dir, 'vendor', 'deep', 'nested.sock'));
    await listen(join(dir, '.hidden', 'secret.sock'));
    await listen(join(dir, 'vendor', '.dot.sock'));
    const elsewhere = await mkdtemp(join(tmpdir(), 'rw-target-'));
    try {
      await listen(join(elsewhere, 'real.sock'));
      await symlink(join(elsewhere, 'real.sock'), join(dir, 'linked.sock'));
      await symlink(join(dir, 'outside-target'), join(dir, 'dir-link'));
      await symlink(join(dir, 'missing.sock'), join(dir, 'dangling.sock'));
      await writeFile(join(dir, 'vendor', 'notes.txt'), 'not a socket');
      await watcher.start();

      const entries = await scan();
      expect(entries.map((e) => [e.path.slice(dir.length + 1), e.kind])).toEqual([
        ['dangling.sock', 'other'],
        ['linked.sock', 'socket'],
        ['top.sock', 'socket'],
        ['vendor/deep/nested.sock', 'socket'],
        ['vendor/notes.txt', 'other'],
      ]);
    } finally {
      await Promise.all(servers.splice(0).map((s) => close(s)));
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('watches a subdirectory created after start: a socket bound there is seen without a rescan', async () => {
    await watcher.start();
    await mkdir(join(dir, 'later'));
    // This scan puts a watch on the new directory; from here on only that watch can report the socket.
    await scan();
    await listen(join(dir, 'later', 'p.sock'));
    await scanShowing(join(dir, 'later', 'p.sock'));
  });
});
