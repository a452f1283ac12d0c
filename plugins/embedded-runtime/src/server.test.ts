import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeVersion } from './probe.js';
import { PID_FILE, RootDirOwnedError } from './root-dir-lock.js';
import { startEmbeddedRuntime, type EmbeddedRuntimeServer } from './server.js';
import { quietLogger, tempDir } from './test-support.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
const servers: EmbeddedRuntimeServer[] = [];

beforeAll(async () => {
  dir = await tempDir();
});

afterAll(async () => {
  for (const server of servers) await server.close({ graceMs: 0 });
  await dir.remove();
});

async function start(socketPath: string, rootDir: string): Promise<EmbeddedRuntimeServer> {
  const server = await startEmbeddedRuntime({ socketPath, rootDir, cgroups: 'off', logger: quietLogger() });
  servers.push(server);
  return server;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('startEmbeddedRuntime', () => {
  it('owns its root dir until closed: another server on it is refused and touches no socket', async () => {
    const rootDir = join(dir.path, 'root');
    const pidFile = join(rootDir, PID_FILE);
    const first = await start(join(dir.path, 'a.sock'), rootDir);
    expect(await readFile(pidFile, 'utf8')).toBe(`${process.pid}\n`);

    const refused = await start(join(dir.path, 'b.sock'), rootDir).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RootDirOwnedError);
    expect((refused as Error).message).toContain(`root dir ${rootDir} is owned by another embedded runtime (pid ${process.pid}`);
    expect(await exists(join(dir.path, 'b.sock'))).toBe(false);
    expect(await probeVersion(first.socketPath)).toBeDefined();
    expect(await readFile(pidFile, 'utf8')).toBe(`${process.pid}\n`);

    await first.close({ graceMs: 0 });
    expect(await exists(pidFile)).toBe(false);
    const next = await start(join(dir.path, 'b.sock'), rootDir);
    expect(await probeVersion(next.socketPath)).toBeDefined();
    expect(await readFile(pidFile, 'utf8')).toBe(`${process.pid}\n`);
  });
});
