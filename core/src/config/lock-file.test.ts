import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './fixtures.test-helpers.js';
import { acquireLockFile, findWaiter, LockFileError } from './lock-file.js';

/** Another process trying the lock without waiting: exit 0 if it got it, 1 if it is held. */
function tryLockElsewhere(file: string): number | null {
  return spawnSync('flock', ['--nonblock', file, 'true']).status;
}

/** Polls until condition holds; generous, as it waits on processes starting on a loaded machine. */
function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (condition()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('timed out'));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

describe('--lock-file', () => {
  it('holds an exclusive lock other processes see, created with mode 0600, until released', async () => {
    const file = path.join(await tempDir(), 'kubelet.lock');
    const lock = await acquireLockFile(file);
    expect(tryLockElsewhere(file)).toBe(1);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    await lock.release();
    await lock.release(); // idempotent
    expect(tryLockElsewhere(file)).toBe(0);
  });

  it('makes a second agent wait until the first lets go', async () => {
    const file = path.join(await tempDir(), 'kubelet.lock');
    const first = await acquireLockFile(file);
    let waiting = false;
    let secondHeld = false;
    const second = acquireLockFile(file, { onWaiting: () => (waiting = true) }).then((handle) => {
      secondHeld = true;
      return handle;
    });
    await until(() => waiting);
    expect(secondHeld).toBe(false);
    await first.release();
    const handle = await second;
    expect(tryLockElsewhere(file)).toBe(1);
    await handle.release();
  });

  it('can stop waiting', async () => {
    const file = path.join(await tempDir(), 'kubelet.lock');
    const first = await acquireLockFile(file);
    const controller = new AbortController();
    const second = acquireLockFile(file, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(second).rejects.toThrow(LockFileError);
    await first.release();
  });

  it('with exit-on-lock-contention, notices another process contending and lets it take over', async () => {
    const file = path.join(await tempDir(), 'kubelet.lock');
    let reason: string | undefined;
    const lock = await acquireLockFile(file, { exitOnContention: true, onContention: (r) => (reason = r), pollIntervalMs: 50 });
    const contender = spawn('flock', ['--exclusive', file, 'true']);
    const contenderExit = new Promise<number | null>((resolve) => contender.once('exit', resolve));
    await until(() => reason !== undefined);
    expect(reason).toBe(`process ${contender.pid} is waiting for lock file ${file}`);
    await lock.release(); // the agent exits; the contender gets the lock
    expect(await contenderExit).toBe(0);
  });

  it('treats the lock file being deleted as contention, as the kubelet does', async () => {
    const file = path.join(await tempDir(), 'kubelet.lock');
    let reason: string | undefined;
    const lock = await acquireLockFile(file, { exitOnContention: true, onContention: (r) => (reason = r), pollIntervalMs: 50 });
    await fs.rm(file);
    await until(() => reason !== undefined);
    expect(reason).toBe(`lock file ${file} was deleted`);
    await lock.release();
  });

  it('is released when the agent process dies, however it dies', async () => {
    const built = fileURLToPath(new URL('../../dist/config/lock-file.js', import.meta.url));
    expect(existsSync(built), 'build first (npx tsc -b): the spawned agent runs the built module').toBe(true);
    const file = path.join(await tempDir(), 'kubelet.lock');
    const agent = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      `import { acquireLockFile } from ${JSON.stringify(built)}; await acquireLockFile(${JSON.stringify(file)}); console.log('held'); setInterval(() => {}, 1000);`,
    ]);
    let output = '';
    agent.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until(() => output.includes('held'));
    expect(tryLockElsewhere(file)).toBe(1);
    agent.kill('SIGKILL');
    await until(() => tryLockElsewhere(file) === 0);
  });

  it('needs a callback to exit on contention', async () => {
    const file = path.join(await tempDir(), 'kubelet.lock');
    await expect(acquireLockFile(file, { exitOnContention: true })).rejects.toThrow(/onContention/);
  });

  it('finds waiters in /proc/locks text', () => {
    const locks = [
      '1: FLOCK  ADVISORY  WRITE 26131 fe:00:1548291 0 EOF',
      '2: FLOCK  ADVISORY  WRITE 26091 fe:00:2147019 0 EOF',
      '2: -> FLOCK  ADVISORY  WRITE 26118 fe:00:2147019 0 EOF',
      '',
    ].join('\n');
    expect(findWaiter(locks, 26091, 2147019)).toBe(26118);
    expect(findWaiter(locks, 26131, 1548291)).toBeUndefined();
    expect(findWaiter(locks, 26091, 1)).toBeUndefined();
  });
});
