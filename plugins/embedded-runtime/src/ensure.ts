import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findHostTool } from './host-tools.js';
import { probeVersion } from './probe.js';
import { findRootDirOwner, PID_FILE } from './root-dir-lock.js';

export interface EnsureEmbeddedRuntimeOptions {
  socketPath: string;
  rootDir: string;
  /** The daemon's stdout and stderr (appended). */
  logFile: string;
  cgroupRoot?: string;
  logLevel?: string;
  /** How to run the daemon; default: this Node binary with this package's dist/main.js. */
  command?: readonly string[];
  /** How long to wait for the daemon (a new one, or a busy one owning rootDir) to answer Version (default 10 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface EnsuredRuntime {
  pid: number;
  /** False when a runtime already answered on the socket, or owned the root dir and answered later. */
  started: boolean;
}

/**
 * Makes sure an embedded runtime serves socketPath: returns at once when one answers
 * Version there, else starts the daemon detached (its own session, stdio to logFile,
 * not a child the caller waits for; it outlives the agent) and waits until it answers.
 * Fails with the daemon's last log lines if it exits first, or after timeoutMs.
 *
 * A runtime that owns rootDir but does not answer (yet) is still the runtime, only busy:
 * no second one is started beside it (it would be refused anyway, see RootDirLock); this
 * waits up to timeoutMs for it to answer, and fails naming its pid if it does not. A new
 * daemon is started only while nobody owns rootDir.
 */
export async function ensureEmbeddedRuntime(options: EnsureEmbeddedRuntimeOptions): Promise<EnsuredRuntime> {
  if (await probeVersion(options.socketPath, 1000)) return { pid: await readPid(options.rootDir), started: false };

  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const flock = await findHostTool('flock');
  let owner = await findRootDirOwner(options.rootDir, flock);
  let daemon = owner === undefined ? await startDaemon(options) : undefined;
  // Whether an owner other than our daemon was seen since our daemon was started: then our
  // daemon's exit is that owner's doing (it refused the root dir), not a failure of its own.
  let otherOwnerSeen = owner !== undefined;
  while (Date.now() < deadline) {
    if (await probeVersion(options.socketPath, 500)) {
      const recorded = await readPid(options.rootDir);
      if (daemon === undefined) return { pid: recorded > 0 ? recorded : (owner?.pid ?? 0), started: false };
      return { pid: recorded > 0 ? recorded : daemon.pid, started: recorded === daemon.pid || recorded <= 0 };
    }
    if (daemon === undefined || daemon.exited !== undefined) {
      owner = await findRootDirOwner(options.rootDir, flock);
      if (owner !== undefined) {
        otherOwnerSeen = true;
      } else if (daemon?.exited !== undefined && !otherOwnerSeen) {
        throw new Error(
          `the embedded runtime exited (${daemon.exited}) before serving ${options.socketPath}; last lines of ${options.logFile}:\n${await tail(options.logFile)}`,
        );
      } else {
        // Nobody owns the root dir (any more): start one.
        daemon = await startDaemon(options);
        otherOwnerSeen = false;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  if (daemon !== undefined && daemon.exited === undefined) {
    try {
      process.kill(daemon.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    throw new Error(`the embedded runtime (pid ${daemon.pid}) did not answer on ${options.socketPath} within ${timeoutMs}ms; see ${options.logFile}:\n${await tail(options.logFile)}`);
  }
  const ownerPid = owner?.pid ?? 0;
  throw new Error(
    `the embedded runtime owning root dir ${options.rootDir} (${ownerPid > 0 ? `pid ${ownerPid}` : 'pid not recorded yet'}) is alive ` +
      `but did not answer Version on ${options.socketPath} within ${timeoutMs}ms, so no second runtime was started: ` +
      `it may be overloaded or stuck, or serve another socket (see ${options.logFile}); ` +
      `to replace it, stop it (kill -TERM ${ownerPid > 0 ? ownerPid : '<pid>'}) and a new one will be started once it has exited`,
  );
}

interface StartedDaemon {
  readonly pid: number;
  /** Its exit code or signal, once it has exited. */
  readonly exited: number | string | undefined;
}

/** Starts the daemon detached, its stdio appended to logFile. */
async function startDaemon(options: EnsureEmbeddedRuntimeOptions): Promise<StartedDaemon> {
  const command = options.command ?? [process.execPath, defaultMain()];
  const [file, ...baseArgs] = command;
  if (file === undefined) throw new Error('ensureEmbeddedRuntime: empty command');
  const args = [...baseArgs, '--socket', options.socketPath, '--root', options.rootDir];
  if (options.cgroupRoot !== undefined) args.push('--cgroup-root', options.cgroupRoot);
  if (options.logLevel !== undefined) args.push('--log-level', options.logLevel);

  await mkdir(dirname(options.logFile), { recursive: true });
  const logFd = openSync(options.logFile, 'a', 0o640);
  try {
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      cwd: '/',
      env: options.env ?? process.env,
    });
    const spawnError = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', resolve);
    });
    if (spawnError || child.pid === undefined) {
      throw new Error(`cannot start the embedded runtime (${file}): ${spawnError?.message ?? 'no pid'}`, { cause: spawnError });
    }
    const daemon: { pid: number; exited: number | string | undefined } = { pid: child.pid, exited: undefined };
    child.once('exit', (code, signal) => (daemon.exited = code ?? signal ?? 'unknown'));
    child.unref();
    return daemon;
  } finally {
    closeSync(logFd);
  }
}

async function readPid(rootDir: string): Promise<number> {
  const text = await readFile(join(rootDir, PID_FILE), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

async function tail(path: string, bytes = 4096): Promise<string> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString('utf8').trimEnd();
  } finally {
    await handle.close();
  }
}

/** dist/main.js next to this module (when running from src/, the built one). */
function defaultMain(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? join(dirname(here), '..', 'dist', 'main.js') : join(dirname(here), 'main.js');
}
