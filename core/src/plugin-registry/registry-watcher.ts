import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';

/** What the watcher saw at one path of the registry directory. */
export interface RegistryEntry {
  path: string;
  kind: 'socket' | 'other';
  /**
   * Device and inode: changes when the file is replaced (a restarted plugin binds a new
   * socket), not when a live socket is chmod-ed, chown-ed or touched.
   */
  identity: string;
}

/**
 * Watches <root-dir>/plugins_registry: a filesystem watch for prompt notice plus a
 * periodic rescan, so a missed event is recovered. Files whose names start with "."
 * and subdirectories are ignored, as upstream's plugin watcher does.
 */
export class RegistryWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescanRequested = false;

  constructor(
    readonly dir: string,
    private readonly rescanPeriodMs: number,
    private readonly onScan: (entries: readonly RegistryEntry[]) => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    this.watcher = watch(this.dir, { persistent: false }, () => this.requestScan());
    this.watcher.on('error', (error) => this.logger.warn({ dir: this.dir, err: error.message }, 'plugin registry watch failed; relying on rescans'));
    this.timer = setInterval(() => this.requestScan(), this.rescanPeriodMs);
    this.timer.unref();
    await this.scanNow();
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }

  /** Coalesces bursts of events into one scan at a time. */
  requestScan(): void {
    if (this.scanning) {
      this.rescanRequested = true;
      return;
    }
    this.scanning = this.scan().finally(() => {
      this.scanning = undefined;
      if (this.rescanRequested) {
        this.rescanRequested = false;
        this.requestScan();
      }
    });
  }

  async scanNow(): Promise<void> {
    while (this.scanning) await this.scanning;
    await this.scan();
  }

  private async scan(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      this.logger.warn({ dir: this.dir, err: (error as Error).message }, 'cannot read the plugin registry directory');
      return;
    }
    const entries: RegistryEntry[] = [];
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const path = join(this.dir, name);
      try {
        const stat = await lstat(path);
        if (stat.isDirectory()) continue;
        entries.push({ path, kind: stat.isSocket() ? 'socket' : 'other', identity: `${stat.dev}:${stat.ino}` });
      } catch {
        // Removed between readdir and lstat: the next scan sees it gone.
      }
    }
    this.onScan(entries);
  }
}
