// Helpers for this package's tests: a CRI client over the unix socket, temp dirs, waits.
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runtime } from '@kernelet/proto';
import { pino } from 'pino';
import { CONTROLLERS } from './cgroups.js';

type Pair<T> = T extends { responseStream: false; requestSerialize: (value: infer Req) => Buffer; responseDeserialize: (value: Buffer) => infer Res } ? [Req, Res] : never;
type Unary<S> = { [K in keyof S as Pair<S[K]> extends never ? never : K]: Pair<S[K]> };
type RuntimeUnary = Unary<runtime.RuntimeServiceService>;
type ImageUnary = Unary<runtime.ImageServiceService>;
type DeepPartial<T> = T extends bigint | string | number | boolean | Buffer | Uint8Array
  ? T
  : T extends (infer U)[]
    ? DeepPartial<U>[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

interface Codec<T> {
  fromPartial(partial: unknown): T;
}

type UnaryFn = (request: unknown, metadata: Metadata, options: { deadline: number }, callback: (err: ServiceError | null, res: unknown) => void) => unknown;

/** The generated CRI clients on a socket, with each unary rpc as a promise taking a partial request. */
export class CriClient {
  readonly runtime: runtime.RuntimeServiceClient;
  readonly images: runtime.ImageServiceClient;

  constructor(socketPath: string) {
    this.runtime = new runtime.RuntimeServiceClient(`unix:${socketPath}`, credentials.createInsecure());
    this.images = new runtime.ImageServiceClient(`unix:${socketPath}`, credentials.createInsecure());
  }

  call<K extends keyof RuntimeUnary & string>(method: K, request: DeepPartial<RuntimeUnary[K][0]> = {} as DeepPartial<RuntimeUnary[K][0]>, timeoutMs = 30_000): Promise<RuntimeUnary[K][1]> {
    return invoke(this.runtime, method, request, timeoutMs) as Promise<RuntimeUnary[K][1]>;
  }

  image<K extends keyof ImageUnary & string>(method: K, request: DeepPartial<ImageUnary[K][0]> = {} as DeepPartial<ImageUnary[K][0]>, timeoutMs = 30_000): Promise<ImageUnary[K][1]> {
    return invoke(this.images, method, request, timeoutMs) as Promise<ImageUnary[K][1]>;
  }

  /** Runs a sandbox with host namespaces and a log directory; returns its id. */
  async sandbox(name: string, logDirectory: string, extra: DeepPartial<runtime.PodSandboxConfig> = {}): Promise<string> {
    const { podSandboxId } = await this.call('runPodSandbox', {
      config: {
        metadata: { name, namespace: 'test', uid: `uid-${name}`, attempt: 0 },
        logDirectory,
        linux: { securityContext: { namespaceOptions: { network: runtime.NamespaceMode.NODE, pid: runtime.NamespaceMode.NODE, ipc: runtime.NamespaceMode.NODE } } },
        ...extra,
      },
    });
    return podSandboxId;
  }

  /** Creates a container running argv (image "busybox" maps to the host root unless imported). */
  async container(sandboxId: string, name: string, argv: string[], extra: DeepPartial<runtime.ContainerConfig> = {}): Promise<string> {
    const { containerId } = await this.call('createContainer', {
      podSandboxId: sandboxId,
      config: { metadata: { name, attempt: 0 }, image: { image: 'busybox' }, command: argv, logPath: `${name}/0.log`, ...extra },
    });
    return containerId;
  }

  async status(containerId: string): Promise<runtime.ContainerStatus> {
    const { status } = await this.call('containerStatus', { containerId });
    if (!status) throw new Error(`no status for ${containerId}`);
    return status;
  }

  /** Polls ContainerStatus until the container is in the state (default 10 s). */
  async waitForState(containerId: string, state: runtime.ContainerState, timeoutMs = 10_000): Promise<runtime.ContainerStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status(containerId);
      if (status.state === state) return status;
      if (Date.now() > deadline) throw new Error(`container ${containerId} is ${runtime.containerStateToJSON(status.state)}, not ${runtime.containerStateToJSON(state)}, after ${timeoutMs}ms`);
      await sleep(20);
    }
  }

  close(): void {
    this.runtime.close();
    this.images.close();
  }
}

function invoke(client: object, method: string, request: unknown, timeoutMs: number): Promise<unknown> {
  const name = `${method[0]?.toUpperCase() ?? ''}${method.slice(1)}Request`;
  const codec = (runtime as unknown as Record<string, Codec<unknown>>)[name];
  if (!codec) throw new Error(`no request type ${name}`);
  const fn = (client as Record<string, UnaryFn>)[method];
  if (!fn) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => {
    fn.call(client, codec.fromPartial(request), new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** The process exists (a zombie counts). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until check returns a value other than undefined. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A short temp dir (socket paths must fit 107 bytes). */
export async function tempDir(prefix = 'ker-'): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join('/tmp', prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Removes a test cgroup parent from every v1 hierarchy and from v2, first killing any
 * process a failed test left in it.
 */
export async function removeCgroupTree(relPath: string): Promise<void> {
  const roots = [...CONTROLLERS.map((c) => `/sys/fs/cgroup/${c}`), '/sys/fs/cgroup'];
  for (const root of roots) await killTree(join(root, relPath));
  for (const root of roots) await removeDirTree(join(root, relPath));
}

async function subdirs(dir: string): Promise<string[] | undefined> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  return entries?.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
}

async function killTree(dir: string): Promise<void> {
  const children = await subdirs(dir);
  if (!children) return;
  for (const child of children) await killTree(child);
  const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  for (const pid of procs.split('\n').filter((p) => p !== '')) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

async function removeDirTree(dir: string): Promise<void> {
  const children = await subdirs(dir);
  if (!children) return;
  for (const child of children) await removeDirTree(child);
  for (let attempt = 0; attempt < 20; attempt++) {
    const removed = await rmdir(dir).then(
      () => true,
      () => false,
    );
    if (removed) return;
    await sleep(25);
  }
}

export function quietLogger(): pino.Logger {
  return pino({ level: process.env['KERNELET_TEST_LOG_LEVEL'] ?? 'silent' });
}

export async function readLog(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** CRI log records: [timestamp, stream, tag, content]. */
export function parseCriLog(text: string): { time: string; stream: string; tag: string; content: string }[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const match = /^(\S+) (stdout|stderr) ([PF]) (.*)$/s.exec(line);
      if (!match) throw new Error(`not a CRI log line: ${JSON.stringify(line.slice(0, 120))}`);
      return { time: match[1] as string, stream: match[2] as string, tag: match[3] as string, content: match[4] as string };
    });
}

/** What a process started by claimRootDirInChild reports once it has tried. */
export interface RootDirClaim {
  pid: number;
  owned: boolean;
  /** Why it was refused. */
  error?: string;
  /** The pid of the process it left running (claimRootDirInChild's leaveDescendant). */
  descendant?: number;
}

const BUILT_ROOT_DIR_LOCK = new URL('../dist/root-dir-lock.js', import.meta.url).href;

const CLAIM_SCRIPT = `
const [rootDir, flock, leaveDescendant] = process.argv.slice(1);
const { RootDirLock } = await import(${JSON.stringify(BUILT_ROOT_DIR_LOCK)});
const report = (claim) => process.stdout.write(JSON.stringify({ pid: process.pid, ...claim }) + '\\n');
try {
  await RootDirLock.acquire(rootDir, { flock, waitMs: 0 });
} catch (err) {
  report({ owned: false, error: err.message });
  process.exit(0);
}
let descendant;
if (leaveDescendant === 'yes') {
  const { spawn } = await import('node:child_process');
  const sleeper = spawn('sleep', ['1000'], { stdio: 'ignore', detached: true });
  sleeper.unref();
  descendant = sleeper.pid;
}
report({ owned: true, descendant });
setInterval(() => {}, 1 << 30);
`;

/**
 * Runs RootDirLock.acquire (the built one, in dist/) in a separate node process, as a
 * runtime starting on rootDir would. The winner keeps the root dir until it is killed; with
 * leaveDescendant it first starts a `sleep` that outlives it, as containers outlive a
 * crashed runtime. Needs `npx tsc -b`.
 */
export function claimRootDirInChild(rootDir: string, flock: string, leaveDescendant = false): { child: ChildProcess; claim: Promise<RootDirClaim> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CLAIM_SCRIPT, rootDir, flock, leaveDescendant ? 'yes' : 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const claim = new Promise<RootDirClaim>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => resolve(JSON.parse(line) as RootDirClaim));
    child.once('exit', (code, signal) => reject(new Error(`the claiming process exited (${code ?? signal}) without reporting: ${stderr}`)));
  });
  return { child, claim };
}
