import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeVersion } from './probe.js';

export interface EnsureEmbeddedRuntimeOptions {
  socketPath: string;
  rootDir: string;
  /** The daemon's stdout and stderr (appended). */
  logFile: string;
  cgroupRoot?: string;
  logLevel?: string;
  /** How to run the daemon; default: this Node binary with this package's dist/main.js. */
  command?: readonly string[];
  /** How long to wait for the new daemon to answer Version (default 10 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface EnsuredRuntime {
  pid: number;
  /** False when a runtime already answered on the socket. */
  started: boolean;
}

/** The file in the root dir where the daemon records its pid. */
export const PID_FILE = 'embedded-runtime.pid';

/**
 * Makes sure an embedded runtime serves socketPath: returns at once when one answers
 * Version there, else starts the daemon detached (its own session, stdio to logFile,
 * not a child the caller waits for; it outlives the agent) and waits until it answers.
 * Fails with the daemon's last log lines if it exits first, or after timeoutMs.
 */
export async function ensureEmbeddedRuntime(options: EnsureEmbeddedRuntimeOptions): Promise<EnsuredRuntime> {
  if (await probeVersion(options.socketPath, 1000)) return { pid: await readPid(options.rootDir), started: false };

  const command = options.command ?? [process.execPath, defaultMain()];
  const [file, ...baseArgs] = command;
  if (file === undefined) throw new Error('ensureEmbeddedRuntime: empty command');
  const args = [...baseArgs, '--socket', options.socketPath, '--root', options.rootDir];
  if (options.cgroupRoot !== undefined) args.push('--cgroup-root', options.cgroupRoot);
  if (options.logLevel !== undefined) args.push('--log-level', options.logLevel);

  await mkdir(dirname(options.logFile), { recursive: true });
  const logFd = openSync(options.logFile, 'a', 0o640);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let pid: number;
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
    pid = child.pid;
    child.once('exit', (code, signal) => (exited = { code, signal }));
    child.unref();
  } finally {
    closeSync(logFd);
  }

  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probeVersion(options.socketPath, 500)) {
      const recorded = await readPid(options.rootDir);
      return { pid: recorded > 0 ? recorded : pid, started: recorded === pid || recorded <= 0 };
    }
    if (exited) {
      throw new Error(
        `the embedded runtime exited (${exited.code ?? exited.signal}) before serving ${options.socketPath}; last lines of ${options.logFile}:\n${await tail(options.logFile)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  throw new Error(`the embedded runtime (pid ${pid}) did not answer on ${options.socketPath} within ${timeoutMs}ms; see ${options.logFile}:\n${await tail(options.logFile)}`);
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
