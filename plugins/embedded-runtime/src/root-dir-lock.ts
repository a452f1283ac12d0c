import { spawn } from 'node:child_process';
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './errors.js';

/**
 * The file in the root dir that names the runtime owning it: its pid, one line. The owner
 * holds an exclusive flock(2) on it for as long as it runs, and removes it when it stops.
 */
export const PID_FILE = 'embedded-runtime.pid';

/** How long a starter waits out a lock held for a moment (findRootDirOwner) before refusing. */
const DEFAULT_WAIT_MS = 1000;

/** A runtime refused a root dir because another live one owns it. */
export class RootDirOwnedError extends Error {
  override readonly name = 'RootDirOwnedError';

  constructor(
    readonly rootDir: string,
    /** 0 when the owner has not recorded its pid yet. */
    readonly ownerPid: number,
  ) {
    const owner = ownerPid > 0 ? `pid ${ownerPid}` : 'its pid not yet recorded';
    const stop = ownerPid > 0 ? `stop it (kill -TERM ${ownerPid})` : 'stop it';
    super(
      `root dir ${rootDir} is owned by another embedded runtime (${owner}; it holds the lock on ${join(rootDir, PID_FILE)}), ` +
        `whether or not it answers on its socket; ${stop} before starting another on this root dir, or use another --root`,
    );
  }
}

export interface RootDirLockOptions {
  /** The util-linux flock program (findHostTool('flock')). */
  flock: string;
  /** How long to wait for a lock someone else holds before refusing (default 1 s; 0 refuses at once). */
  waitMs?: number;
}

/**
 * Exclusive ownership of a runtime root dir: one runtime at a time manages its containers,
 * state files and cgroups.
 *
 * The ownership is a flock(2) on the pid file rather than a lock file whose owner has to be
 * judged alive: the kernel drops the lock when the owner exits, however it exits (SIGKILL,
 * crash), and never passes it to a process that later gets the same pid. So a stale pid file
 * never blocks a restart, there is no stale lock to break (and no race between two starters
 * breaking it), and a live owner keeps the root dir even when it is too busy to answer.
 */
export class RootDirLock {
  private released = false;

  private constructor(
    readonly rootDir: string,
    readonly pidFile: string,
    private readonly fd: number,
  ) {}

  /**
   * Takes the root dir for this process and records its pid in the pid file; fails with a
   * RootDirOwnedError while another live process owns it. Of several starters racing, exactly
   * one wins.
   */
  static async acquire(rootDir: string, options: RootDirLockOptions): Promise<RootDirLock> {
    await mkdir(rootDir, { recursive: true, mode: 0o711 });
    const pidFile = join(rootDir, PID_FILE);
    for (;;) {
      // Not truncated on open: until the lock is ours, the content is the owner's pid.
      const fd = openSync(pidFile, constants.O_RDWR | constants.O_CREAT, 0o644);
      let owned = false;
      try {
        if (!(await flock(options.flock, fd, 'exclusive', options.waitMs ?? DEFAULT_WAIT_MS))) {
          throw new RootDirOwnedError(rootDir, readPid(fd));
        }
        // An owner releasing removes the file and then unlocks it: a lock taken meanwhile is on
        // a file no longer at this path, and owns nothing. Open the one there now.
        if (!isFileAt(fd, pidFile)) continue;
        ftruncateSync(fd, 0);
        writeSync(fd, `${process.pid}\n`, 0);
        owned = true;
        return new RootDirLock(rootDir, pidFile, fd);
      } finally {
        if (!owned) closeSync(fd);
      }
    }
  }

  /** Removes the pid file, then gives the root dir up. */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      if (isFileAt(this.fd, this.pidFile)) unlinkSync(this.pidFile);
    } finally {
      closeSync(this.fd);
    }
  }
}

export interface RootDirOwner {
  /** 0 when the owner has not recorded its pid yet. */
  pid: number;
}

/**
 * The live runtime owning rootDir, if any. It takes a shared lock for a moment, which a
 * runtime starting at the same time waits out (RootDirLockOptions.waitMs).
 */
export async function findRootDirOwner(rootDir: string, flockPath: string): Promise<RootDirOwner | undefined> {
  let fd: number;
  try {
    fd = openSync(join(rootDir, PID_FILE), constants.O_RDONLY);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return (await flock(flockPath, fd, 'shared', 0)) ? undefined : { pid: readPid(fd) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Locks fd with the flock program, which locks the descriptor it inherits as its fd 3. The
 * lock belongs to the open file description, which this process keeps: it stays after the
 * program exits, until this process closes fd or exits. (Node has no flock of its own; Node
 * opens files close-on-exec, so the containers the runtime starts never inherit the lock.)
 * False when another open file holds a conflicting lock (after waitMs, when > 0).
 */
async function flock(flockPath: string, fd: number, mode: 'exclusive' | 'shared', waitMs: number): Promise<boolean> {
  const args = [`--${mode}`, ...(waitMs > 0 ? ['--timeout', String(waitMs / 1000)] : ['--nonblock']), '3'];
  const child = spawn(flockPath, args, { stdio: ['ignore', 'ignore', 'pipe', fd] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code === 0) return true;
  // flock(1) exits 1 when the lock is held elsewhere (or the wait ran out), and with 64 and
  // above (sysexits) on errors.
  if (code === 1) return false;
  throw new Error(`${flockPath} ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`);
}

function readPid(fd: number): number {
  const buffer = Buffer.alloc(32);
  const length = readSync(fd, buffer, 0, buffer.length, 0);
  const pid = Number(buffer.toString('utf8', 0, length).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

/** True when path still names the file open as fd. */
function isFileAt(fd: number, path: string): boolean {
  const open = fstatSync(fd);
  try {
    const named = statSync(path);
    return named.dev === open.dev && named.ino === open.ino;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}
