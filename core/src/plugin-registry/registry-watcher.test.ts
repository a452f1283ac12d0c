import { chmod, mkdtemp, rename, rm, utimes } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { RegistryWatcher, type RegistryEntry } from './registry-watcher.js';

let dir: string;
let watcher: RegistryWatcher;
let scans: (readonly RegistryEntry[])[];
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

async function scan(): Promise<readonly RegistryEntry[]> {
  await watcher.scanNow();
  return scans.at(-1) ?? [];
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rw-'));
  scans = [];
  const silent = createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) });
  // No periodic rescan in these tests: each scan is asked for.
  watcher = new RegistryWatcher(dir, 3_600_000, (entries) => scans.push(entries), silent);
});

afterEach(async () => {
  watcher.stop();
  await Promise.all(servers.splice(0).map((s) => (s.listening ? close(s) : undefined)));
  await rm(dir, { recursive: true, force: true });
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
});
