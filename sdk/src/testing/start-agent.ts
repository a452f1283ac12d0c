import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';
import { ProcessHandle } from './process-handle.js';

export interface StartAgentOptions {
  rootDir: string;
  /** More agent flags (kubelet and kernelet flags). */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Waits for /healthz to answer (default true). */
  waitReady?: boolean;
  /**
   * The container runtime: "none" (default: an endpoint where nothing answers, so a test
   * about plugins starts no runtime and leaves no daemon behind), "embedded" (the agent
   * starts kernelet's embedded runtime under the root dir; the test must stop it), or a
   * CRI endpoint such as unix:///run/containerd/containerd.sock.
   */
  runtime?: 'none' | 'embedded' | string;
}

/** The --container-runtime-endpoint flag for a StartAgentOptions.runtime. */
export function runtimeArgs(rootDir: string, runtime: StartAgentOptions['runtime']): string[] {
  if (runtime === 'embedded') return [];
  if (runtime === undefined || runtime === 'none') return ['--container-runtime-endpoint', `unix://${rootDir}/no-runtime.sock`];
  return ['--container-runtime-endpoint', runtime];
}

export interface PluginEntry {
  name: string;
  type: string;
  services: string[];
  endpoint: string;
  socket: string;
  state: string;
  lastError: string | null;
  lastErrorTime: string | null;
  callFailures: number;
  registeredSince: string | null;
  pid: number | null;
  process: { plugins: string[]; pid: number | null; state: string; restarts: number; lastExit: string | null } | null;
}

/** A real `kernelet` agent process on a test root dir, with its debug listener on a free port. */
export class AgentProcess extends ProcessHandle {
  constructor(
    process: ProcessHandle,
    readonly rootDir: string,
    readonly port: number,
  ) {
    super(process.child);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async plugins(): Promise<PluginEntry[]> {
    const response = await fetch(this.url('/plugins'));
    if (!response.ok) throw new Error(`GET /plugins: HTTP ${response.status}`);
    return (await response.json()) as PluginEntry[];
  }

  /** Polls /plugins until a plugin with this name (or socket path) is in the state. */
  async waitForPlugin(nameOrSocket: string, state: string, timeoutMs = 10_000): Promise<PluginEntry> {
    const wanted = (p: PluginEntry) => (p.name === nameOrSocket || p.socket === nameOrSocket) && p.state === state;
    const entries = await this.waitForPlugins((list) => list.some(wanted), timeoutMs, `plugin ${nameOrSocket} ${state}`);
    return entries.find(wanted) as PluginEntry;
  }

  /**
   * Polls /plugins until the list satisfies the check (e.g. a row is gone, or a state came with
   * the error expected from a later attempt); resolves with that list.
   */
  async waitForPlugins(check: (entries: PluginEntry[]) => boolean, timeoutMs = 10_000, what = 'the expected /plugins'): Promise<PluginEntry[]> {
    const deadline = Date.now() + timeoutMs;
    let last: PluginEntry[] = [];
    while (Date.now() < deadline) {
      last = await this.plugins().catch(() => []);
      if (check(last)) return last;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${what} not seen within ${timeoutMs}ms; /plugins: ${JSON.stringify(last)}`);
  }
}

/** Where the kernelet CLI is: $KERNELET_BIN, else @kernelet/core resolved from the working directory or this package. */
export function kerneletBin(): string {
  const fromEnv = process.env['KERNELET_BIN'];
  if (fromEnv) return fromEnv;
  for (const base of [join(process.cwd(), 'package.json'), import.meta.url]) {
    try {
      const pkg = createRequire(base).resolve('@kernelet/core/package.json');
      const bin = join(dirname(pkg), 'dist', 'main.js');
      if (existsSync(bin)) return bin;
    } catch {
      // Try the next base.
    }
  }
  throw new Error('cannot find the kernelet CLI: install @kernelet/core (and build it) or set KERNELET_BIN');
}

/** The V8 flags the kernelet bin's shebang gives the agent (core/src/main.ts). */
export const AGENT_NODE_FLAGS: readonly string[] = ['--optimize-for-size', '--max-opt=1', '--v8-pool-size=1', '--max-semi-space-size=1'];

export async function startAgent(options: StartAgentOptions): Promise<AgentProcess> {
  const port = await freePort();
  const args = ['--root-dir', options.rootDir, '--healthz-port', String(port), ...runtimeArgs(options.rootDir, options.runtime), ...(options.args ?? [])];
  // The V8 flags the kernelet bin's shebang gives the agent.
  const agent = new AgentProcess(ProcessHandle.spawnNode(kerneletBin(), args, options.env, AGENT_NODE_FLAGS), options.rootDir, port);
  if (options.waitReady ?? true) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (!agent.running) throw new Error(`agent exited during start:\n${agent.lines.map((l) => l.raw).join('\n')}`);
      const ok = await fetch(agent.url('/healthz')).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error('agent did not answer /healthz within 15s');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return agent;
}
