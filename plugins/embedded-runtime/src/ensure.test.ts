import { type ChildProcess } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { runtime } from '@kernelet/proto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureEmbeddedRuntime } from './ensure.js';
import { findHostTool } from './host-tools.js';
import { RootDirLock } from './root-dir-lock.js';
import { claimRootDirInChild, eventually, readLog, tempDir } from './test-support.js';

const builtLock = fileURLToPath(new URL('../dist/root-dir-lock.js', import.meta.url));

let dir: Awaited<ReturnType<typeof tempDir>>;
let flock: string;
let cases = 0;
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  await access(builtLock).catch(() => {
    throw new Error(`${builtLock} is missing: run "npx tsc -b" first`);
  });
  dir = await tempDir();
  flock = await findHostTool('flock');
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

afterAll(async () => {
  await dir.remove();
});

/** Paths for one case; the command would start a "daemon" that only says so and exits 1. */
function paths() {
  const base = join(dir.path, `case-${cases++}`);
  return {
    socketPath: `${base}.sock`,
    rootDir: join(base, 'root'),
    logFile: join(base, 'runtime.log'),
    command: [process.execPath, '-e', 'console.log("daemon started by ensure"); process.exit(1)', '--'],
  };
}

/**
 * A CRI Version on the socket that leaves the first `silent` calls unanswered, as a runtime
 * too busy to answer would.
 */
async function serveVersion(socketPath: string, silent: number): Promise<{ calls: () => number }> {
  let calls = 0;
  const server = new grpc.Server();
  server.addService(runtime.RuntimeServiceService, {
    version: (_call: unknown, callback: grpc.sendUnaryData<runtime.VersionResponse>) => {
      if (++calls <= silent) return;
      callback(null, runtime.VersionResponse.fromPartial({ version: '0.1.0', runtimeName: 'fake', runtimeVersion: '0', runtimeApiVersion: 'v1' }));
    },
  });
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  cleanups.push(() => void server.forceShutdown());
  return { calls: () => calls };
}

function ownInChild(rootDir: string): ReturnType<typeof claimRootDirInChild> {
  const claimant = claimRootDirInChild(rootDir, flock);
  children.push(claimant.child);
  return claimant;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('ensureEmbeddedRuntime with a runtime that owns the root dir', () => {
  it('starts no second runtime while the owner is slow to answer, and returns the owner once it does', async () => {
    const options = paths();
    const lock = await RootDirLock.acquire(options.rootDir, { flock });
    cleanups.push(() => lock.release());
    const version = await serveVersion(options.socketPath, 1);

    await expect(ensureEmbeddedRuntime({ ...options, timeoutMs: 30_000 })).resolves.toEqual({ pid: process.pid, started: false });
    expect(version.calls()).toBeGreaterThanOrEqual(2);
    // The log file is opened only to start a daemon.
    expect(await exists(options.logFile)).toBe(false);
  });

  it('fails naming the owner, its root dir and what to do when the owner never answers', async () => {
    const options = paths();
    const owner = await ownInChild(options.rootDir).claim;
    expect(owner.owned).toBe(true);

    const error = (await ensureEmbeddedRuntime({ ...options, timeoutMs: 1000 }).catch((err: unknown) => err)) as Error;
    expect(error.message).toContain(`the embedded runtime owning root dir ${options.rootDir} (pid ${owner.pid}) is alive but did not answer Version on ${options.socketPath} within 1000ms`);
    expect(error.message).toContain('no second runtime was started');
    expect(error.message).toContain(`kill -TERM ${owner.pid}`);
    expect(await exists(options.logFile)).toBe(false);
  });

  it('starts a runtime once the owner it waited for is gone', async () => {
    const options = paths();
    const { child, claim } = ownInChild(options.rootDir);
    expect((await claim).owned).toBe(true);
    const version = await serveVersion(options.socketPath, Infinity);

    const ensured = ensureEmbeddedRuntime({ ...options, timeoutMs: 30_000 }).catch((err: unknown) => err as Error);
    // Past the first probe: ensureEmbeddedRuntime is waiting for the owner.
    await eventually(() => (version.calls() >= 2 ? true : undefined), 'ensureEmbeddedRuntime to wait for the owner', 20_000);
    expect(await exists(options.logFile)).toBe(false);
    child.kill('SIGKILL');

    const error = await ensured;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/exited \(1\) before serving/);
    expect(await readLog(options.logFile)).toContain('daemon started by ensure');
  });
});
