/**
 * --lock-file and --exit-on-lock-contention, as the kubelet implements them:
 *
 * - The agent opens the lock file (created with mode 0600) and takes an exclusive flock(2) on
 *   it, waiting as long as another process holds it. The lock is held until the agent exits.
 * - With exit-on-lock-contention the agent leaves when another process contends for the lock,
 *   so a new agent (an upgrade, say) takes over as soon as the old one is gone.
 *
 * Node has no flock(2), so a child process holds the lock: `flock(1)` from util-linux locks the
 * file and runs a shell that reports "locked" and then waits for its stdin to close. The lock
 * is released when the agent releases it or exits in any way (its end of the pipe closes).
 *
 * Contention: the kubelet watches the file with inotify for any open (or its deletion). Node's
 * file watching cannot see opens, so kernelet polls /proc/locks for a process blocked waiting
 * on our lock (and the file for deletion). A contender that takes the lock the way kernelet and
 * the kubelet do (a blocking flock) is seen within one poll interval; one that merely opens the
 * file without locking is not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';

export interface LockHandle {
  readonly path: string;
  /** Releases the lock (idempotent). */
  release(): Promise<void>;
}

export interface AcquireLockOptions {
  /** Watch for another process contending for the lock and call onContention once. */
  exitOnContention?: boolean;
  /** Called once when another process contends for the lock; the agent exits (status 0, as the kubelet). */
  onContention?: (reason: string) => void;
  /** Called when the lock is held by someone else and acquiring waits. */
  onWaiting?: () => void;
  /** Stop waiting for the lock. */
  signal?: AbortSignal;
  /** How often /proc/locks is read for contenders. Default 250 ms. */
  pollIntervalMs?: number;
  /** The flock(1) binary. Default "flock" from PATH. */
  flockCommand?: string;
}

export class LockFileError extends Error {
  override readonly name = 'LockFileError';
}

const WAITING_NOTICE_MS = 200;

export async function acquireLockFile(path: string, options: AcquireLockOptions = {}): Promise<LockHandle> {
  if (options.exitOnContention === true && options.onContention === undefined) {
    throw new LockFileError('exitOnContention needs an onContention callback');
  }
  try {
    const handle = await fs.open(path, 'a', 0o600);
    await handle.close();
  } catch (err) {
    throw new LockFileError(`cannot open lock file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const child = spawn(options.flockCommand ?? 'flock', ['--exclusive', '--close', path, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  await waitForLock(child, path, options);
  detach(child);

  let released = false;
  let poller: NodeJS.Timeout | undefined;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    if (poller !== undefined) clearInterval(poller);
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.stdin?.end();
    });
  };

  if (options.exitOnContention === true && options.onContention !== undefined) {
    const onContention = options.onContention;
    const inode = (await fs.stat(path)).ino;
    const pid = child.pid as number;
    let busy = false;
    poller = setInterval(() => {
      if (busy || released) return;
      busy = true;
      void detectContention(path, pid, inode)
        .then((reason) => {
          if (reason !== undefined && !released) {
            clearInterval(poller);
            poller = undefined;
            onContention(reason);
          }
        })
        .finally(() => {
          busy = false;
        });
    }, options.pollIntervalMs ?? 250);
    poller.unref();
  }
  return { path, release };
}

function waitForLock(child: ChildProcess, path: string, options: AcquireLockOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    let settled = false;
    const waiting = setTimeout(() => options.onWaiting?.(), WAITING_NOTICE_MS);
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(waiting);
      options.signal?.removeEventListener('abort', onAbort);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else {
        resolve();
      }
    };
    const onAbort = (): void => finish(new LockFileError(`gave up waiting for the lock on ${path}`));
    if (options.signal?.aborted === true) return onAbort();
    options.signal?.addEventListener('abort', onAbort);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) finish();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', (err) => finish(new LockFileError(`cannot run flock(1) to lock ${path}: ${err.message}`, { cause: err })));
    child.once('exit', (code) => finish(new LockFileError(`flock(1) exited (${code}) before locking ${path}: ${stderr.trim()}`)));
  });
}

/** Lets the agent's event loop end while the child keeps holding the lock. */
function detach(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
}

/** A reason when another process contends for the lock (waits on it) or the file was deleted. */
async function detectContention(path: string, holderPid: number, inode: number): Promise<string | undefined> {
  try {
    const stat = await fs.stat(path);
    if (stat.ino !== inode) return `lock file ${path} was replaced`;
  } catch {
    return `lock file ${path} was deleted`;
  }
  let locks: string;
  try {
    locks = await fs.readFile('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  const waiter = findWaiter(locks, holderPid, inode);
  return waiter === undefined ? undefined : `process ${waiter} is waiting for lock file ${path}`;
}

/** Finds a process blocked on the flock that `holderPid` holds on `inode`, in /proc/locks text. */
export function findWaiter(locks: string, holderPid: number, inode: number): number | undefined {
  const lines = locks.split('\n');
  const ids = new Set<string>();
  for (const line of lines) {
    const m = /^(\d+):\s+FLOCK\s+\S+\s+\S+\s+(\d+)\s+\S+:\S+:(\d+)\s/.exec(line);
    if (m && Number(m[2]) === holderPid && Number(m[3]) === inode) ids.add(m[1] as string);
  }
  for (const line of lines) {
    const m = /^(\d+):\s+->\s+FLOCK\s+\S+\s+\S+\s+(\d+)\s/.exec(line);
    if (m && ids.has(m[1] as string)) return Number(m[2]);
  }
  return undefined;
}
