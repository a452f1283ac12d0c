import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Logger } from '../logging/logger.js';
import { podLogDirName } from '../pods/pod-naming.js';
import type { RuntimePod } from '../pods/runtime-status.js';
import { errorText } from './cri-error.js';
import type { RuntimeService } from './runtime-service.js';

export interface LogRotationPolicy {
  /** containerLogMaxSize in bytes. */
  maxSizeBytes: number;
  /** containerLogMaxFiles: the live log plus rotated ones. */
  maxFiles: number;
}

/** "0.log.20260102-150405" (or ".gz") -> its rotation timestamp. */
const ROTATED = /^(.+\.log)\.(\d{8}-\d{6})(\.gz)?$/;

/**
 * What rotation does to a container's directory (upstream ContainerLogManager, pure): the
 * rotated files kept are the newest maxFiles-2 (the live log and the one about to be rotated
 * make maxFiles); all but the newest kept one are compressed.
 */
export function planRotation(files: readonly string[], logName: string, maxFiles: number): { remove: string[]; compress: string[] } {
  const rotated = files
    .map((f) => ({ f, m: ROTATED.exec(f) }))
    .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null && x.m[1] === logName)
    .sort((a, b) => ((a.m[2] as string) < (b.m[2] as string) ? 1 : -1));
  const keep = Math.max(0, maxFiles - 2);
  const kept = rotated.slice(0, keep);
  return {
    remove: rotated.slice(keep).map((x) => x.f),
    compress: kept.slice(1).filter((x) => x.m[3] === undefined).map((x) => x.f),
  };
}

function timestamp(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
}

/**
 * Rotates the logs of running containers (upstream container_log_manager.go): every
 * containerLogMonitorInterval, a log at or over containerLogMaxSize is renamed with a
 * timestamp and the runtime reopens it (ReopenContainerLog); older rotated files beyond
 * containerLogMaxFiles are removed and all but the newest compressed. Log paths come from
 * the pods' log directories, so a pass costs a stat per container, not a CRI call.
 */
export class ContainerLogManager {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly runtime: RuntimeService,
    private readonly podLogsDir: string,
    private readonly policy: LogRotationPolicy,
    private readonly workers: number,
    private readonly pods: () => ReadonlyMap<string, RuntimePod> | undefined,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number): void {
    if (this.policy.maxSizeBytes <= 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.rotateAll().finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass over every running container. */
  async rotateAll(): Promise<void> {
    const pods = this.pods();
    if (!pods) return;
    const jobs: { id: string; path: string }[] = [];
    for (const pod of pods.values()) {
      const dir = join(this.podLogsDir, podLogDirName(pod.namespace, pod.name, pod.uid));
      for (const c of pod.containers) {
        if (c.state === 'running') jobs.push({ id: c.id, path: join(dir, c.name, `${c.restartCount}.log`) });
      }
    }
    const queue = [...jobs];
    await Promise.all(
      Array.from({ length: Math.max(1, this.workers) }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) await this.rotateIfNeeded(job.id, job.path);
      }),
    );
  }

  async rotateIfNeeded(containerId: string, path: string): Promise<boolean> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return false;
    }
    if (size < this.policy.maxSizeBytes) return false;
    const dir = dirname(path);
    const name = basename(path);
    try {
      const plan = planRotation(await readdir(dir), name, this.policy.maxFiles);
      for (const f of plan.remove) await rm(join(dir, f), { force: true });
      for (const f of plan.compress) await this.compress(join(dir, f));
      const rotated = `${path}.${timestamp(new Date())}`;
      await rename(path, rotated);
      try {
        await this.runtime.reopenContainerLog(containerId);
      } catch (error) {
        // The runtime still writes to the renamed file: put it back, try again next pass.
        await rename(rotated, path).catch(() => undefined);
        throw error;
      }
      this.logger.debug({ containerID: containerId, path, sizeBytes: size }, 'container log rotated');
      return true;
    } catch (error) {
      this.logger.warn({ containerID: containerId, path, err: errorText(error) }, 'container log rotation failed');
      return false;
    }
  }

  private async compress(file: string): Promise<void> {
    const tmp = `${file}.gz.tmp`;
    await pipeline(createReadStream(file), createGzip(), createWriteStream(tmp));
    await rename(tmp, `${file}.gz`);
    await rm(file, { force: true });
  }
}
