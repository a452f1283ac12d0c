import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { inject, injectable, optional } from 'inversify';
import type { Startable } from '../agent/lifecycle.js';
import { AgentOptions } from '../config/agent-options.js';
import { Logger } from '../logging/logger.js';
import { isPluginHostFor, pluginProcessFilePath, readPluginProcessFile, writePluginProcessFile } from './plugin-process-file.js';

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
const EXIT_POLL_MS = 50;

/**
 * Starts the first-party plugins the operator selected, in one plugin-host process
 * (pluginIsolation: shared) or one process each (process), restarts a crashed process
 * with exponential backoff, and stops them all on shutdown.
 *
 * Plugin processes never outlive the agent, so a restarted agent never runs a second
 * instance of a plugin over the same state files: each is spawned with an IPC channel and
 * stops its plugins when the channel closes, which the kernel does when the agent exits in
 * any way (SIGKILL, OOM kill, crash). Their pids are kept in
 * <root-dir>/kernelet/plugin-processes.pid, and a starting agent stops any host still
 * running from that list (one that could not act on the closed channel) before it starts its own.
 */
@injectable()
export class PluginSupervisor implements Startable {
  readonly name = 'plugin-supervisor';
  private readonly processes: SupervisedProcess[] = [];
  private readonly hostEntry: string;
  private readonly processFile: string;
  private recording: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    @inject(AgentOptions) private readonly options: AgentOptions,
    @inject(Logger) private readonly logger: Logger,
    @inject(PluginProcessOutput) @optional() private readonly output: PluginProcessOutput = 'inherit',
  ) {
    this.hostEntry = createRequire(import.meta.url).resolve('@kernelet/sdk/plugin-host');
    this.processFile = pluginProcessFilePath(options.flags.rootDir);
  }

  async start(): Promise<void> {
    await this.stopStaleProcesses();
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
    await this.recordProcesses();
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
    // The IPC channel is the plugin host's lifeline: it closes when the agent exits, however it exits.
    const child = spawn(process.execPath, args, { stdio: ['ignore', out, this.output === 'ignore' ? 'ignore' : 'inherit', 'ipc'], env: process.env });
    p.child = child;
    p.state = 'running';
    p.startedAt = Date.now();
    this.logger.info({ plugins: p.plugins, pid: child.pid }, 'plugin process started');
    void this.recordProcesses();
    child.on('error', (error) => this.logger.error({ plugins: p.plugins, err: error.message }, 'plugin process could not start'));
    child.on('exit', (code, signal) => {
      p.lastExit = signal ? `killed by ${signal}` : `exited with code ${code}`;
      if (this.stopping) return;
      void this.recordProcesses();
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

  /** Writes the running plugin processes' pids to the process file, one write at a time. */
  private recordProcesses(): Promise<void> {
    const pids = this.processes.flatMap((p) => (p.child?.pid !== undefined && p.child.exitCode === null && p.child.signalCode === null ? [p.child.pid] : []));
    this.recording = this.recording
      .then(() => writePluginProcessFile(this.processFile, pids))
      .catch((error: Error) => this.logger.warn({ file: this.processFile, err: error.message }, 'cannot record the plugin processes'));
    return this.recording;
  }

  /**
   * Stops the plugin hosts a previous agent on this root dir left running, as recorded in the
   * process file: SIGTERM (and SIGCONT, should it be stopped), SIGKILL after the grace period.
   * A recorded pid now used by another program is left alone.
   */
  private async stopStaleProcesses(): Promise<void> {
    const rootDir = this.options.flags.rootDir;
    const pids = await readPluginProcessFile(this.processFile);
    if (pids.length === 0) return;
    await Promise.all(
      pids.map(async (pid) => {
        if (pid === process.pid || !(await isRunning(pid))) return;
        const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (!isPluginHostFor(cmdline, rootDir)) return;
        this.logger.warn({ pid, rootDir }, 'stopping a plugin process a previous agent left running');
        signal(pid, 'SIGTERM');
        signal(pid, 'SIGCONT');
        if (await exitsWithin(pid, STOP_GRACE_MS)) return;
        this.logger.warn({ pid, graceMs: STOP_GRACE_MS }, 'plugin process left running did not stop; killing it');
        signal(pid, 'SIGKILL');
        await exitsWithin(pid, STOP_GRACE_MS);
      }),
    );
    await this.recordProcesses();
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

/** Whether the process exists and has not exited: a zombie (exited, not yet reaped by its new parent) counts as gone. */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

async function exitsWithin(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (await isRunning(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, EXIT_POLL_MS));
  }
  return true;
}
