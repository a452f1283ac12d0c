import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { inject, injectable, optional } from 'inversify';
import type { Startable } from '../agent/lifecycle.js';
import { AgentOptions } from '../config/agent-options.js';
import { Logger } from '../logging/logger.js';

export interface SupervisedProcessView {
  /** The plugins this process carries (names or module specifiers, as configured). */
  plugins: readonly string[];
  pid: number | null;
  state: 'running' | 'restarting' | 'stopped';
  restarts: number;
  lastExit: string | null;
}

interface SupervisedProcess {
  plugins: string[];
  child: ChildProcess | undefined;
  state: SupervisedProcessView['state'];
  restarts: number;
  /** Consecutive quick crashes, for the backoff. */
  crashes: number;
  startedAt: number;
  lastExit: string | null;
  timer: NodeJS.Timeout | undefined;
}

/** Where plugin processes write their logs: the agent's stdout (default), its stderr, or nowhere. */
export const PluginProcessOutput = Symbol('PluginProcessOutput');
export type PluginProcessOutput = 'inherit' | 'stderr' | 'ignore';

/**
 * V8 flags for plugin processes (and the agent's own, in its bin's shebang): a node agent's
 * plugins are long-lived and idle most of the time, so a small heap matters more than peak
 * JIT speed. Baseline compilation only (no optimizing compiler and its threads), one V8
 * worker thread, a 1 MiB young generation: about 10 MiB less per process, and no more CPU
 * at 100 pods (the optimizing compiler's work costs more than it saves here).
 */
export const PLUGIN_NODE_FLAGS: readonly string[] = ['--optimize-for-size', '--max-opt=1', '--v8-pool-size=1', '--max-semi-space-size=1'];

const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;
/** A process that stayed up this long starts its backoff afresh when it next dies. */
const STABLE_AFTER_MS = 60_000;
const STOP_GRACE_MS = 5000;

/**
 * Starts the first-party plugins the operator selected, in one plugin-host process
 * (pluginIsolation: shared) or one process each (process), restarts a crashed process
 * with exponential backoff, and stops them all on shutdown.
 */
@injectable()
export class PluginSupervisor implements Startable {
  readonly name = 'plugin-supervisor';
  private readonly processes: SupervisedProcess[] = [];
  private readonly hostEntry: string;
  private stopping = false;

  constructor(
    @inject(AgentOptions) private readonly options: AgentOptions,
    @inject(Logger) private readonly logger: Logger,
    @inject(PluginProcessOutput) @optional() private readonly output: PluginProcessOutput = 'inherit',
  ) {
    this.hostEntry = createRequire(import.meta.url).resolve('@kernelet/sdk/plugin-host');
  }

  async start(): Promise<void> {
    const plugins = this.options.kernelet.plugins.map((p) => (p.startsWith('.') ? resolve(p) : p));
    if (plugins.length === 0) return;
    const groups = this.options.kernelet.pluginIsolation === 'process' ? plugins.map((p) => [p]) : [plugins];
    for (const group of groups) {
      const supervised: SupervisedProcess = {
        plugins: group,
        child: undefined,
        state: 'running',
        restarts: 0,
        crashes: 0,
        startedAt: 0,
        lastExit: null,
        timer: undefined,
      };
      this.processes.push(supervised);
      this.launch(supervised);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.processes.map(async (p) => {
        if (p.timer) clearTimeout(p.timer);
        p.state = 'stopped';
        const child = p.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(killer);
      }),
    );
  }

  view(): SupervisedProcessView[] {
    return this.processes.map((p) => ({
      plugins: p.plugins,
      pid: p.child?.pid ?? null,
      state: p.state,
      restarts: p.restarts,
      lastExit: p.lastExit,
    }));
  }

  private launch(p: SupervisedProcess): void {
    const args = [...PLUGIN_NODE_FLAGS, this.hostEntry, '--root-dir', this.options.flags.rootDir, ...p.plugins.flatMap((spec) => ['--plugin', spec])];
    const out = this.output === 'stderr' ? process.stderr : this.output;
    const child = spawn(process.execPath, args, { stdio: ['ignore', out, this.output === 'ignore' ? 'ignore' : 'inherit'], env: process.env });
    p.child = child;
    p.state = 'running';
    p.startedAt = Date.now();
    this.logger.info({ plugins: p.plugins, pid: child.pid }, 'plugin process started');
    child.on('error', (error) => this.logger.error({ plugins: p.plugins, err: error.message }, 'plugin process could not start'));
    child.on('exit', (code, signal) => {
      p.lastExit = signal ? `killed by ${signal}` : `exited with code ${code}`;
      if (this.stopping) return;
      p.crashes = Date.now() - p.startedAt >= STABLE_AFTER_MS ? 1 : p.crashes + 1;
      const delayMs = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** (p.crashes - 1));
      p.state = 'restarting';
      p.restarts++;
      this.logger.warn({ plugins: p.plugins, pid: child.pid, code, signal, restartInMs: delayMs, restarts: p.restarts }, 'plugin process exited; restarting it after backoff');
      p.timer = setTimeout(() => {
        p.timer = undefined;
        if (!this.stopping) this.launch(p);
      }, delayMs);
    });
  }
}

