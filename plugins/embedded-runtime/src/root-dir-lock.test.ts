import { spawn, type ChildProcess } from 'node:child_process';
import { access, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findHostTool } from './host-tools.js';
import { findRootDirOwner, PID_FILE, RootDirLock, RootDirOwnedError } from './root-dir-lock.js';
import { alive, claimRootDirInChild, eventually, tempDir } from './test-support.js';

const builtLock = fileURLToPath(new URL('../dist/root-dir-lock.js', import.meta.url));

let dir: Awaited<ReturnType<typeof tempDir>>;
let flock: string;
let roots = 0;
const children: ChildProcess[] = [];
const descendants: number[] = [];
const locks: RootDirLock[] = [];

beforeAll(async () => {
  await access(builtLock).catch(() => {
    throw new Error(`${builtLock} is missing: run "npx tsc -b" first`);
  });
  dir = await tempDir();
  flock = await findHostTool('flock');
});

afterEach(() => {
  for (const lock of locks.splice(0)) lock.release();
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const pid of descendants.splice(0)) kill(pid);
});

afterAll(async () => {
  await dir.remove();
});

function newRoot(): string {
  return join(dir.path, `root-${roots++}`);
}

async function acquire(rootDir: string, waitMs = 0): Promise<RootDirLock> {
  const lock = await RootDirLock.acquire(rootDir, { flock, waitMs });
  locks.push(lock);
  return lock;
}

function claimInChild(rootDir: string, leaveDescendant = false): ReturnType<typeof claimRootDirInChild> {
  const claimant = claimRootDirInChild(rootDir, flock, leaveDescendant);
  children.push(claimant.child);
  return claimant;
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function recordedPid(rootDir: string): Promise<string | undefined> {
  return readFile(join(rootDir, PID_FILE), 'utf8').catch(() => undefined);
}

/** How many descriptors of this process have the file at path open. */
async function openCount(path: string): Promise<number> {
  let count = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    if ((await readlink(`/proc/self/fd/${fd}`).catch(() => '')) === path) count++;
  }
  return count;
}

describe('RootDirLock', () => {
  it('takes a free root dir, records its pid, and gives it up on release', async () => {
    const rootDir = newRoot();
    const lock = await acquire(rootDir);
    expect(await recordedPid(rootDir)).toBe(`${process.pid}\n`);
    expect(await findRootDirOwner(rootDir, flock)).toEqual({ pid: process.pid });

    lock.release();
    expect(await recordedPid(rootDir)).toBeUndefined();
    expect(await findRootDirOwner(rootDir, flock)).toBeUndefined();
    await acquire(rootDir);
    expect(await recordedPid(rootDir)).toBe(`${process.pid}\n`);
  });

  it('is refused, naming the root dir and the owner, while another live process owns the root dir', async () => {
    const rootDir = newRoot();
    const owner = await claimInChild(rootDir).claim;
    expect(owner.owned).toBe(true);

    const refused = await acquire(rootDir).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RootDirOwnedError);
    expect((refused as RootDirOwnedError).ownerPid).toBe(owner.pid);
    expect((refused as Error).message).toContain(`root dir ${rootDir} is owned by another embedded runtime (pid ${owner.pid}`);
    expect((refused as Error).message).toContain(`kill -TERM ${owner.pid}`);
    expect(await recordedPid(rootDir)).toBe(`${owner.pid}\n`);
    expect(await findRootDirOwner(rootDir, flock)).toEqual({ pid: owner.pid });
  });

  it('refuses a live owner that does not run at all (stopped), however long it has been silent', async () => {
    const rootDir = newRoot();
    const { child, claim } = claimInChild(rootDir);
    const owner = await claim;
    process.kill(owner.pid, 'SIGSTOP');
    try {
      await expect(acquire(rootDir, 200)).rejects.toThrow(`(pid ${owner.pid}`);
    } finally {
      process.kill(owner.pid, 'SIGCONT');
    }
    expect(child.exitCode).toBeNull();
  });

  it.each([
    ['a process that has exited', async () => exitedPid()],
    ['a live process of another program that got the same pid', async () => livePid()],
  ])('takes over a pid file left naming %s', async (_what, pidOf) => {
    const rootDir = newRoot();
    const stale = await pidOf();
    await acquire(rootDir).then((lock) => lock.release());
    await writeFile(join(rootDir, PID_FILE), `${stale}\n`);

    expect(await findRootDirOwner(rootDir, flock)).toBeUndefined();
    await acquire(rootDir);
    expect(await recordedPid(rootDir)).toBe(`${process.pid}\n`);
  });

  it('takes over from an owner that was killed, while a process it started still runs', async () => {
    const rootDir = newRoot();
    const { child, claim } = claimInChild(rootDir, true);
    const owner = await claim;
    const descendant = owner.descendant ?? 0;
    descendants.push(descendant);
    expect(descendant).toBeGreaterThan(1);

    child.kill('SIGKILL');
    await exitOf(child);
    expect(await recordedPid(rootDir)).toBe(`${owner.pid}\n`);
    expect(alive(descendant)).toBe(true);
    await acquire(rootDir);
    expect(await recordedPid(rootDir)).toBe(`${process.pid}\n`);
  });

  it('lets exactly one of several processes starting at the same moment own the root dir', async () => {
    const rootDir = newRoot();
    const claims = await Promise.all(Array.from({ length: 4 }, () => claimInChild(rootDir).claim));
    const winners = claims.filter((c) => c.owned);
    expect(winners).toHaveLength(1);
    for (const loser of claims.filter((c) => !c.owned)) expect(loser.error).toContain(`root dir ${rootDir} is owned by another embedded runtime`);
    expect(await findRootDirOwner(rootDir, flock)).toEqual({ pid: winners[0]?.pid });
  });

  it('lets exactly one of several starters in one process own the root dir', async () => {
    const rootDir = newRoot();
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => acquire(rootDir)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(RootDirOwnedError);
  });

  it('a starter that opened the pid file before the owner released it owns the pid file at the root dir', async () => {
    const rootDir = newRoot();
    const pidFile = join(rootDir, PID_FILE);
    const first = await acquire(rootDir);
    const waiting = RootDirLock.acquire(rootDir, { flock, waitMs: 30_000 });
    // The waiting starter has the file open (and waits for its lock) when the owner releases it.
    await eventually(async () => ((await openCount(pidFile)) >= 2 ? true : undefined), 'the waiting starter to open the pid file');
    first.release();

    const second = await waiting;
    locks.push(second);
    expect(await recordedPid(rootDir)).toBe(`${process.pid}\n`);
    expect(await findRootDirOwner(rootDir, flock)).toEqual({ pid: process.pid });
    expect((await claimInChild(rootDir).claim).owned).toBe(false);
  });
});

async function exitedPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  await exitOf(child);
  return child.pid ?? 0;
}

async function livePid(): Promise<number> {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child.pid ?? 0;
}
