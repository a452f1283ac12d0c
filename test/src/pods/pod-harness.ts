// Real agents against real runtimes for the pod tests: containerd (installed and started by
// scripts/containerd/setup.sh) and kernelet's embedded runtime (started by the agent under its
// root dir). Each test gets a fresh root dir, a manifest directory as staticPodPath, and a CRI
// client to check what runs.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Node, Pod } from '@kernelet/sdk/common';
import { makeTempRootDir, startAgent, type AgentProcess, type TempRootDir } from '@kernelet/sdk/testing';
import { CriClient } from '../support/cri.js';
import { repoPath } from '../support/paths.js';

const run = promisify(execFile);

export type RuntimeKind = 'containerd' | 'embedded';
export const NODE_NAME = 'node-a';
export const TEST_IMAGE = 'localhost/kernelet-test/busybox:v1';
export const IS_ROOT = process.getuid?.() === 0;
/** Cold containerd setup installs packages. */
export const SETUP_TIMEOUT_MS = 15 * 60_000;


const CONTAINERD_DIR = process.env['KERNELET_CONTAINERD_DIR'] ?? '/var/lib/kernelet-test/containerd';

/** Installs (if needed) and starts the project's private containerd; returns its endpoint. */
export async function setupContainerd(): Promise<string> {
  const { stdout } = await run('bash', [repoPath('scripts/containerd/setup.sh')], { maxBuffer: 16 << 20, timeout: SETUP_TIMEOUT_MS });
  return stdout.trim().split('\n').at(-1) ?? '';
}

export function containerdPid(): number {
  return Number(readFileSync(join(CONTAINERD_DIR, 'containerd.pid'), 'utf8').trim());
}

export interface PodAgentOptions {
  runtime: RuntimeKind;
  /** The containerd endpoint (containerd runtime). */
  endpoint?: string;
  /** More KubeletConfiguration fields. */
  config?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** More agent flags (e.g. --plugins). */
  args?: string[];
  /** Reuse a root dir (an agent restart). */
  root?: TempRootDir;
}

/** A kernelet agent running static pods from a manifest directory on one of the runtimes. */
export class PodAgent {
  readonly cri: CriClient;

  private constructor(
    readonly process: AgentProcess,
    readonly root: TempRootDir,
    readonly options: PodAgentOptions,
    readonly endpoint: string,
  ) {
    this.cri = new CriClient(endpoint);
  }

  get manifests(): string {
    return join(this.root.path, 'manifests');
  }

  static async start(options: PodAgentOptions): Promise<PodAgent> {
    const root = options.root ?? (await makeTempRootDir('ktp-'));
    await mkdir(join(root.path, 'manifests'), { recursive: true });
    const config: Record<string, unknown> = {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      staticPodPath: join(root.path, 'manifests'),
      podLogsDir: join(root.path, 'logs'),
      fileCheckFrequency: '1s',
      ...(options.runtime === 'containerd' ? { containerRuntimeEndpoint: options.endpoint } : {}),
      ...options.config,
    };
    await writeFile(join(root.path, 'kubelet.yaml'), JSON.stringify(config, null, 2));
    const endpoint = options.runtime === 'containerd' ? (options.endpoint ?? '') : `unix://${join(root.path, 'kernelet/embedded-runtime/runtime.sock')}`;
    const agent = await startAgent({
      rootDir: root.path,
      runtime: options.runtime === 'containerd' ? (options.endpoint ?? '') : 'embedded',
      // staticPodPath makes the agent run the file-source plugin.
      args: ['--config', join(root.path, 'kubelet.yaml'), '--hostname-override', NODE_NAME, ...(options.args ?? [])],
      env: { KERNELET_TEST_ONLY_CRASHLOOP_BACKOFF_INITIAL: '1s', ...options.env },
    });
    return new PodAgent(agent, root, options, endpoint);
  }

  /** Writes a manifest (JSON is YAML) into staticPodPath. */
  async writeManifest(file: string, pod: Pod | string): Promise<void> {
    const tmp = join(this.root.path, `.${file}.tmp`);
    await writeFile(tmp, typeof pod === 'string' ? pod : JSON.stringify(pod, null, 2));
    await run('mv', [tmp, join(this.manifests, file)]);
  }

  async removeManifest(file: string): Promise<void> {
    await rm(join(this.manifests, file), { force: true });
  }

  async pods(): Promise<Pod[]> {
    const response = await fetch(this.process.url('/pods'));
    return ((await response.json()) as { items: Pod[] }).items;
  }

  async pod(name: string): Promise<Pod | undefined> {
    return (await this.pods()).find((p) => p.metadata?.name === `${name}-${NODE_NAME}`);
  }

  async node(): Promise<Node> {
    return (await (await fetch(this.process.url('/node'))).json()) as Node;
  }

  /** Polls /pods until the pod satisfies the check; returns it. */
  async waitForPod(name: string, check: (pod: Pod) => boolean, timeoutMs = 30_000, what = 'the expected state'): Promise<Pod> {
    const deadline = Date.now() + timeoutMs;
    let last: Pod | undefined;
    while (Date.now() < deadline) {
      last = await this.pod(name).catch(() => undefined);
      if (last && check(last)) return last;
      await sleep(100);
    }
    throw new Error(`pod ${name} did not reach ${what} within ${timeoutMs}ms; last: ${JSON.stringify(last?.status ?? null)}`);
  }

  async waitForGone(name: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!(await this.pod(name).catch(() => undefined))) return;
      await sleep(100);
    }
    throw new Error(`pod ${name} still listed after ${timeoutMs}ms`);
  }

  /** What the runtime has for a pod UID. */
  async runtimeState(uid: string): Promise<{ containers: number; running: number; sandboxes: number }> {
    const containers = await this.cri.containers({ 'io.kubernetes.pod.uid': uid });
    const sandboxes = await this.cri.sandboxes({ 'io.kubernetes.pod.uid': uid });
    return { containers: containers.length, running: containers.filter((c) => c.state === 1).length, sandboxes: sandboxes.length };
  }

  async waitForRuntime(uid: string, check: (s: { containers: number; running: number; sandboxes: number }) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = await this.runtimeState(uid).catch(() => undefined);
      if (last && check(last)) return;
      await sleep(100);
    }
    throw new Error(`runtime state of pod ${uid} not as expected within ${timeoutMs}ms: ${JSON.stringify(last)}`);
  }

  /** The embedded runtime daemon's pid (embedded runtime only). */
  embeddedRuntimePid(): number {
    const file = join(this.root.path, 'kernelet/embedded-runtime/embedded-runtime.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0;
  }

  /** Stops the agent (pods keep running). */
  async stopAgent(): Promise<void> {
    await this.process.kill('SIGTERM');
    this.cri.close();
  }

  /**
   * Cleans up after a test: removes every manifest and waits for the agent to remove the pods,
   * then stops the agent, removes whatever the runtime still has of this test, stops an
   * embedded runtime, and deletes the root dir.
   */
  async dispose(): Promise<void> {
    const uids = (await this.pods().catch(() => [] as Pod[])).map((p) => p.metadata?.uid ?? '');
    for (const f of readdirSync(this.manifests)) await rm(join(this.manifests, f), { force: true });
    for (const uid of uids) await this.waitForRuntime(uid, (s) => s.containers === 0 && s.sandboxes === 0, 20_000).catch(() => undefined);
    await this.process.kill('SIGTERM');
    for (const uid of uids) await this.cri.removeAll({ 'io.kubernetes.pod.uid': uid }).catch(() => undefined);
    this.cri.close();
    const pid = this.options.runtime === 'embedded' ? this.embeddedRuntimePid() : 0;
    if (pid > 0) await stopProcess(pid);
    await this.root.remove();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after 10 s; waits until the process is gone. */
export async function stopProcess(pid: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
    while (alive(pid)) await sleep(50);
  }
}

/** Live processes whose cgroup (any hierarchy) names this pod's cgroup. */
export function processesOfPod(uid: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`pod${uid}`) && alive(Number(pid))) found.push(Number(pid));
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/** containerd shims serving one of these sandbox ids. */
export function shimsOf(sandboxIds: readonly string[]): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmdline[0]?.includes('containerd-shim') && sandboxIds.some((id) => cmdline.includes(id)) && alive(Number(pid))) found.push(Number(pid));
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/** Pod cgroup directories that still exist (cgroup v1 memory and cpu hierarchies, or v2). */
export function podCgroupDirs(uid: string): string[] {
  const found: string[] = [];
  for (const base of ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/cpu', '/sys/fs/cgroup/pids', '/sys/fs/cgroup']) {
    for (const qos of ['kubepods', 'kubepods/burstable', 'kubepods/besteffort']) {
      const dir = join(base, qos, `pod${uid}`);
      if (existsSync(dir)) found.push(dir);
    }
  }
  return found;
}

/** A pod manifest running a busybox command that stops at once on SIGTERM. */
export function podManifest(name: string, spec: Partial<NonNullable<Pod['spec']>> & { command?: string[] } = {}, extra: Partial<Pod> = {}): Pod {
  const { command, ...rest } = spec;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...extra.metadata },
    spec: {
      hostNetwork: true,
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'main', image: TEST_IMAGE, imagePullPolicy: 'IfNotPresent', command: command ?? ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'] }],
      ...rest,
    },
  };
}

export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
