import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One line a child wrote: parsed when it is a JSON log line, with the raw text. */
export interface LogLine {
  raw: string;
  json: Record<string, unknown> | undefined;
  stream: 'stdout' | 'stderr';
}

/** A child process whose output is collected line by line, for tests to wait on. */
export class ProcessHandle {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    for (const stream of ['stdout', 'stderr'] as const) {
      const input = child[stream];
      if (!input) continue;
      createInterface({ input }).on('line', (raw) => {
        let json: Record<string, unknown> | undefined;
        try {
          const value: unknown = JSON.parse(raw);
          if (typeof value === 'object' && value !== null) json = value as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        this.lines.push({ raw, json, stream });
        for (const wake of this.waiters) wake();
      });
    }
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static spawnNode(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, nodeFlags: readonly string[] = []): ProcessHandle {
    return new ProcessHandle(spawn(process.execPath, [...nodeFlags, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** JSON log lines with this msg. */
  logs(msg?: string): Record<string, unknown>[] {
    return this.lines.flatMap((l) => (l.json && (msg === undefined || l.json['msg'] === msg) ? [l.json] : []));
  }

  /**
   * Where the output is now: a line counts as after the mark only if it arrives later. Take it
   * before the action whose log lines a test waits for, so an identical line logged earlier (an
   * earlier registration, retry or sync) cannot satisfy the wait. A line the child wrote before
   * the action but not read yet would still count as later: first wait for the last line that
   * must come before the mark.
   */
  mark(): number {
    return this.lines.length;
  }

  /** Resolves with the first line (already seen or yet to come) that matches. */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    return this.waitForLineAfter(0, match, timeoutMs);
  }

  /** Resolves with the first line after the mark (see mark()) that matches. */
  waitForLineAfter(mark: number, match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      let seen = mark;
      const check = () => {
        for (; seen < this.lines.length; seen++) {
          const line = this.lines[seen] as LogLine;
          if (match(line)) {
            done();
            resolve(line);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching output within ${timeoutMs}ms; last lines:\n${this.lines.slice(-15).map((l) => l.raw).join('\n')}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for a JSON log line with this msg whose fields include the given ones. */
  waitForLog(msg: string, fields: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return this.waitForLogAfter(0, msg, fields, timeoutMs);
  }

  /** Waits for a JSON log line after the mark (see mark()) with this msg whose fields include the given ones. */
  waitForLogAfter(mark: number, msg: string, fields: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return this.waitForLineAfter(mark, (l) => isLog(l, msg, fields), timeoutMs).then((l) => l.json as Record<string, unknown>);
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

function isLog(line: LogLine, msg: string, fields: Record<string, unknown>): boolean {
  return line.json?.['msg'] === msg && Object.entries(fields).every(([k, v]) => JSON.stringify(line.json?.[k]) === JSON.stringify(v));
}
