import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Ready-made FIFO pairs for container output. Node cannot mkfifo, and spawning mkfifo
 * for every container would double the forks of a pod start; the pool makes `batch`
 * pairs with one mkfifo call, in the background, and hands them out by rename.
 */
export class FifoPool {
  private readonly ready: string[] = [];
  private refilling: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly mkfifo: string,
    private readonly batch = 32,
  ) {}

  async init(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Moves a FIFO pair into dir as `stdout` and `stderr`. */
  async take(dir: string): Promise<void> {
    while (this.ready.length === 0) await this.refill();
    const name = this.ready.pop() as string;
    if (this.ready.length < this.batch / 2) void this.refill().catch(() => undefined);
    await rename(join(this.dir, `${name}.out`), join(dir, 'stdout'));
    await rename(join(this.dir, `${name}.err`), join(dir, 'stderr'));
  }

  private refill(): Promise<void> {
    this.refilling ??= (async () => {
      try {
        const names = Array.from({ length: this.batch }, () => randomBytes(8).toString('hex'));
        await run(this.mkfifo, ['-m', '600', ...names.flatMap((n) => [join(this.dir, `${n}.out`), join(this.dir, `${n}.err`)])]);
        this.ready.push(...names);
      } finally {
        this.refilling = undefined;
      }
    })();
    return this.refilling;
  }
}
