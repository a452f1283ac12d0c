import { watch, type BigIntStats, type FSWatcher } from 'node:fs';
import { lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/logger.js';

/** What the watcher saw at one path of the registry directory. */
export interface RegistryEntry {
  path: string;
  kind: 'socket' | 'other';
  /**
   * Device, inode and birth time: changes when the file is replaced (a restarted plugin
   * binds a new socket, which a filesystem may give the inode number just freed), not when
   * a live socket is chmod-ed, chown-ed or touched.
   */
  identity: string;
}

/**
 * Watches <root-dir>/plugins_registry: a filesystem watch for prompt notice plus a
 * periodic rescan, so a missed event is recovered. As upstream's plugin watcher does, it
 * walks subdirectories (each gets a watch of its own), decides "is a socket" after
 * following symlinks, and ignores every name that starts with "." (files and
 * directories). Symlinks to directories are not followed, so a link loop cannot trap the walk.
 */
export class RegistryWatcher {
  /** One watch per directory of the tree, the registry directory itself included. */
  private readonly watchers = new Map<string, FSWatcher>();
  /** Directories whose watch could not be set up (e.g. out of inotify watches): said once, then left to the rescans. */
  private readonly unwatchable = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescanRequested = false;
  private stopped = false;

  constructor(
    readonly dir: string,
    private readonly rescanPeriodMs: number,
    private readonly onScan: (entries: readonly RegistryEntry[]) => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o750 });
    this.timer = setInterval(() => this.requestScan(), this.rescanPeriodMs);
    this.timer.unref();
    await this.scanNow();
  }

  stop(): void {
    this.stopped = true;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
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
    const entries: RegistryEntry[] = [];
    const dirs: string[] = [];
    try {
      await this.walk(this.dir, entries, dirs);
    } catch (error) {
      this.logger.warn({ dir: this.dir, err: (error as Error).message }, 'cannot read the plugin registry directory');
      return;
    }
    this.watchDirectories(dirs);
    this.onScan(entries);
  }

  /** Collects the entries under dir (depth first, sorted) and the directories walked. Only an unreadable registry root is an error. */
  private async walk(dir: string, entries: RegistryEntry[], dirs: string[]): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (dir === this.dir) throw error;
      // Removed while walking, or unreadable: the next scan decides.
      return;
    }
    dirs.push(dir);
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      try {
        const own = await lstat(path, { bigint: true });
        if (own.isDirectory()) {
          await this.walk(path, entries, dirs);
          continue;
        }
        // A symlink counts as what it points to (upstream stats through it); a dangling one is no socket.
        const target = own.isSymbolicLink() ? await stat(path, { bigint: true }).catch(() => own) : own;
        if (target.isDirectory()) continue;
        entries.push({ path, kind: target.isSocket() ? 'socket' : 'other', identity: fileIdentity(target) });
      } catch {
        // Removed between readdir and lstat: the next scan sees it gone.
      }
    }
  }

  /** Watches every directory walked, and stops watching the ones that are gone. */
  private watchDirectories(dirs: readonly string[]): void {
    if (this.stopped) return;
    const wanted = new Set(dirs);
    for (const dir of this.unwatchable) if (!wanted.has(dir)) this.unwatchable.delete(dir);
    for (const [dir, watcher] of this.watchers) {
      if (wanted.has(dir)) continue;
      watcher.close();
      this.watchers.delete(dir);
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, () => this.requestScan());
        watcher.on('error', (error) => {
          this.logger.warn({ dir, err: error.message }, 'plugin registry watch failed; relying on rescans');
          watcher.close();
          if (this.watchers.get(dir) === watcher) this.watchers.delete(dir);
        });
        this.watchers.set(dir, watcher);
        this.unwatchable.delete(dir);
      } catch (error) {
        if (this.unwatchable.has(dir)) continue;
        this.unwatchable.add(dir);
        this.logger.warn({ dir, err: (error as Error).message }, 'cannot watch a plugin registry directory; relying on rescans');
      }
    }
  }
}

/** See RegistryEntry.identity. */
export function fileIdentity(stats: Pick<BigIntStats, 'dev' | 'ino' | 'birthtimeNs'>): string {
  return `${stats.dev}:${stats.ino}:${stats.birthtimeNs}`;
}
