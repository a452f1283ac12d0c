// Shared by the pod benchmarks: an agent on a runtime with a manifest directory, the CRI
// floor, and process measurements from /proc.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runtime } from '@kernelet/proto';
import { makeTempRootDir, startAgent, type AgentProcess, type TempRootDir } from '@kernelet/sdk/testing';
import { CriClient } from '../support/cri.js';
import { repoPath } from '../support/paths.js';

const run = promisify(execFile);
export const NODE = 'bench-node';
export const IMAGE = 'localhost/kernelet-test/busybox:v1';
export type RuntimeKind = 'containerd' | 'embedded';

export async function setupContainerd(): Promise<string> {
  const { stdout } = await run('bash', [repoPath('scripts/containerd/setup.sh')], { maxBuffer: 16 << 20 });
  return stdout.trim().split('\n').at(-1) ?? '';
}

export function manifest(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      hostNetwork: true,
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'main', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  });
}

export class BenchAgent {
  readonly cri: CriClient;
  private constructor(
    readonly process: AgentProcess,
    readonly root: TempRootDir,
    readonly kind: RuntimeKind,
    readonly endpoint: string,
  ) {
    this.cri = new CriClient(endpoint);
  }

  get manifests(): string {
    return join(this.root.path, 'manifests');
  }

  static async start(kind: RuntimeKind, containerdEndpoint: string, reuse?: TempRootDir): Promise<BenchAgent> {
    const root = reuse ?? (await makeTempRootDir('ktb-'));
    await mkdir(join(root.path, 'manifests'), { recursive: true });
    const config = {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      staticPodPath: join(root.path, 'manifests'),
      podLogsDir: join(root.path, 'logs'),
      maxPods: 300,
      ...(kind === 'containerd' ? { containerRuntimeEndpoint: containerdEndpoint } : {}),
    };
    await writeFile(join(root.path, 'kubelet.yaml'), JSON.stringify(config));
    const endpoint = kind === 'containerd' ? containerdEndpoint : `unix://${join(root.path, 'kernelet/embedded-runtime/runtime.sock')}`;
    const agent = await startAgent({ rootDir: root.path, runtime: kind === 'containerd' ? containerdEndpoint : 'embedded', args: ['--config', join(root.path, 'kubelet.yaml'), '--hostname-override', NODE] });
    await agent.waitForPlugin('file-source', 'registered', 30_000);
    return new BenchAgent(agent, root, kind, endpoint);
  }

  /** Writes manifests atomically; returns the wall time each was written. */
  async write(names: readonly string[]): Promise<Map<string, number>> {
    const tmp = join(this.root.path, 'tmp');
    await mkdir(tmp, { recursive: true });
    for (const name of names) await writeFile(join(tmp, `${name}.yaml`), manifest(name));
    const at = Date.now();
    await Promise.all(names.map((name) => run('mv', [join(tmp, `${name}.yaml`), join(this.manifests, `${name}.yaml`)])));
    return new Map(names.map((n) => [n, at]));
  }

  async writeOne(name: string): Promise<number> {
    const tmp = join(this.root.path, `.${name}.tmp`);
    await writeFile(tmp, manifest(name));
    const { rename } = await import('node:fs/promises');
    const at = Date.now();
    await rename(tmp, join(this.manifests, `${name}.yaml`));
    return at;
  }

  async remove(names: readonly string[]): Promise<void> {
    await Promise.all(names.map((n) => rm(join(this.manifests, `${n}.yaml`), { force: true })));
  }

  /** Running containers started at, by pod name (without the node suffix). */
  async startedAt(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const containers = (await this.cri.containers()).filter((c) => c.state === runtime.ContainerState.CONTAINER_RUNNING && c.labels['io.kubernetes.pod.name']?.endsWith(`-${NODE}`));
    await Promise.all(
      containers.map(async (c) => {
        const status = await this.cri.containerStatus(c.id);
        const name = (c.labels['io.kubernetes.pod.name'] ?? '').slice(0, -(NODE.length + 1));
        if (status && status.startedAt > 0n) out.set(name, Number(status.startedAt / 1_000_000n));
      }),
    );
    return out;
  }

  async counts(): Promise<{ running: number; containers: number; sandboxes: number }> {
    const containers = (await this.cri.containers()).filter((c) => c.labels['io.kubernetes.pod.name']?.endsWith(`-${NODE}`));
    const sandboxes = (await this.cri.sandboxes()).filter((s) => s.metadata?.name.endsWith(`-${NODE}`));
    return { running: containers.filter((c) => c.state === runtime.ContainerState.CONTAINER_RUNNING).length, containers: containers.length, sandboxes: sandboxes.length };
  }

  async waitCounts(check: (c: { running: number; containers: number; sandboxes: number }) => boolean, timeoutMs: number, poll = 50): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await this.counts();
      if (check(c)) return Date.now();
      if (Date.now() > deadline) throw new Error(`timeout waiting for ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, poll));
    }
  }

  /** The pids whose resources count as the agent's: the agent and the plugin processes it runs. */
  async pids(): Promise<number[]> {
    const plugins = await this.process.plugins();
    const pluginPids = [...new Set(plugins.map((p) => p.process?.pid ?? p.pid).filter((p): p is number => typeof p === 'number' && p > 0))];
    return [this.process.pid, ...pluginPids];
  }

  async metric(name: string): Promise<number> {
    const text = await (await fetch(this.process.url('/metrics'))).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : 0;
  }

  async dispose(): Promise<void> {
    const names = (await import('node:fs')).readdirSync(this.manifests).map((f) => f.replace(/\.yaml$/, ''));
    await this.remove(names);
    await this.waitCounts((c) => c.containers === 0 && c.sandboxes === 0, 120_000, 250).catch(() => undefined);
    await this.process.kill('SIGTERM');
    if (this.kind === 'embedded') {
      const pidFile = join(this.root.path, 'kernelet/embedded-runtime/embedded-runtime.pid');
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) {
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 200; i++) {
          try {
            process.kill(pid, 0);
          } catch {
            break;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
    this.cri.close();
    await this.root.remove();
  }
}

/** Resident set size in bytes of a process (0 when it is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Proportional set size in bytes (shared pages split among the processes sharing them). */
export function pssBytes(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) in seconds a process has used. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * The runtime's own floor: the same pods started directly over CRI with no agent
 * (RunPodSandbox, CreateContainer, StartContainer for each, all at once), as the agent would
 * configure them. Returns the wall time until the last container runs.
 */
export async function criFloor(cri: CriClient, count: number, logDir: string, cgroupRoot = '/kubepods/besteffort'): Promise<{ wallMs: number; perPod: number[] }> {
  const R = runtime.RuntimeServiceService;
  const I = runtime.ImageServiceService;
  const image = await cri.call(I.imageStatus, runtime.ImageStatusRequest.fromPartial({ image: { image: IMAGE } }));
  const imageRef = image.image?.id ?? IMAGE;
  const started = Date.now();
  const perPod = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const t0 = Date.now();
      const uid = `floor-${process.pid}-${i}`;
      const name = `floor-${i}`;
      const dir = join(logDir, `default_${name}_${uid}`);
      await mkdir(dir, { recursive: true });
      const config = runtime.PodSandboxConfig.fromPartial({
        metadata: { name, namespace: 'default', uid, attempt: 0 },
        logDirectory: dir,
        labels: { 'io.kubernetes.pod.uid': uid, 'kernelet.bench': 'floor' },
        linux: { cgroupParent: `${cgroupRoot}/pod${uid}`, securityContext: { namespaceOptions: { network: runtime.NamespaceMode.NODE, pid: runtime.NamespaceMode.CONTAINER, ipc: runtime.NamespaceMode.POD } } },
      });
      const { podSandboxId } = await cri.call(R.runPodSandbox, runtime.RunPodSandboxRequest.fromPartial({ config }), 120_000);
      const { containerId } = await cri.call(
        R.createContainer,
        runtime.CreateContainerRequest.fromPartial({
          podSandboxId,
          sandboxConfig: config,
          config: {
            metadata: { name: 'main', attempt: 0 },
            image: { image: imageRef, userSpecifiedImage: IMAGE },
            command: ['sleep', '3600'],
            logPath: 'main/0.log',
            labels: { 'io.kubernetes.pod.uid': uid, 'kernelet.bench': 'floor' },
            linux: { resources: { cpuShares: 2n, oomScoreAdj: 1000n }, securityContext: { namespaceOptions: { network: runtime.NamespaceMode.NODE, pid: runtime.NamespaceMode.CONTAINER, ipc: runtime.NamespaceMode.POD } } },
          },
        }),
        120_000,
      );
      await cri.call(R.startContainer, runtime.StartContainerRequest.fromPartial({ containerId }), 120_000);
      return Date.now() - t0;
    }),
  );
  return { wallMs: Date.now() - started, perPod };
}
