import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  canonicalJson,
  decodeStaticPods,
  dropDuplicateStaticPods,
  duplicateProblem,
  FirstSeenTimes,
  MAX_MANIFEST_BYTES,
  type Logger,
  type Pod,
  type PodSink,
  type StaticPodProblem,
} from '@kernelet/sdk';

export interface FileSourceOptions {
  /** staticPodPath: a directory of manifests, or one manifest file. */
  path: string;
  nodeName: string;
  /** fileCheckFrequency: how often the path is listed again, whatever the watch reported. */
  checkFrequencyMs: number;
  sink: PodSink;
  logger: Logger;
  /** How long a burst of watch events is let settle before reading (default 10 ms). */
  settleMs?: number;
  now?: () => Date;
}

/**
 * Why a listing runs: a periodic or first listing reads every file as it is; a listing after a
 * watch event keeps the pods of a file that has just become unreadable, until the next periodic
 * listing. Upstream behaves the same way: its watch handler ignores a change it cannot parse,
 * its periodic listing drops the file. A half-written file thus never stops a pod at once.
 * (When the path names one file, its last good pods are kept at every listing, as upstream.)
 */
type ListingKind = 'periodic' | 'watch';

interface FileState {
  /** Content digest of what was decoded last. */
  digest: string;
  pods: Pod[];
  problems: StaticPodProblem[];
  /** The pods of the last version of the file that had no problem. */
  lastGood: Pod[];
}

/**
 * The static pods of staticPodPath: every regular file of the directory (dotfiles skipped, no
 * recursion), or the single file the path names, each holding one or more YAML/JSON pod
 * documents. Reports the full set to the sink after the first listing and whenever it changes,
 * noticing changes by watching the directory and by listing it every checkFrequencyMs.
 *
 * A path that does not exist is reported as an empty set (so the agent knows the source has
 * no pods, as upstream) and watched for again at each listing.
 */
export class FileSource {
  private readonly files = new Map<string, FileState>();
  private readonly seen: FirstSeenTimes;
  /** Conditions logged at the last listing, so each is logged once while it lasts. */
  private conditions = new Set<string>();
  private current = new Set<string>();
  private watcher: FSWatcher | undefined;
  /** The identity (dev:ino) of the watched directory, to notice it was replaced. */
  private watched: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private pending: ListingKind | undefined;
  private lastSet: string | undefined;
  private stopped = false;

  constructor(private readonly options: FileSourceOptions) {
    this.seen = new FirstSeenTimes(options.now);
  }

  start(): void {
    this.options.logger.info({ path: this.options.path, checkFrequencyMs: this.options.checkFrequencyMs }, 'reading static pods from files');
    this.timer = setInterval(() => void this.list('periodic'), this.options.checkFrequencyMs);
    void this.list('periodic');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.settleTimer);
    this.watcher?.close();
    this.watcher = undefined;
    await this.running;
  }

  /** Lists the path now (or right after the listing in progress); resolves when done. */
  list(kind: ListingKind): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.pending = this.pending === 'periodic' || kind === 'periodic' ? 'periodic' : 'watch';
      return this.running;
    }
    this.running = this.listOnce(kind)
      .catch((error: Error) => this.options.logger.error({ path: this.options.path, err: error.message }, 'listing static pod files failed'))
      .finally(() => {
        this.running = undefined;
        const next = this.pending;
        this.pending = undefined;
        if (next) void this.list(next);
      });
    return this.running;
  }

  private async listOnce(kind: ListingKind): Promise<void> {
    this.current = new Set();
    try {
      await this.listPath(kind);
    } finally {
      this.conditions = this.current;
    }
  }

  private async listPath(kind: ListingKind): Promise<void> {
    const { path, logger } = this.options;
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => error);
    if (info instanceof Error) {
      if (info.code === 'ENOENT') this.note(`missing:${path}`, () => logger.warn({ path }, 'static pod path does not exist; no static pods from files until it does'));
      else this.note(`stat:${path}:${info.code}`, () => logger.error({ path, err: info.message }, 'cannot read static pod path'));
      this.stopWatching();
      this.files.clear();
      this.publish([]);
      return;
    }
    let names: string[];
    // A single file that turns invalid keeps its pods at every listing: upstream's listing of a
    // file path gives up on the error and leaves the set as it was.
    let keepLastGood = kind === 'watch';
    if (info.isDirectory()) {
      this.ensureWatching(path, undefined, `${info.dev}:${info.ino}`);
      try {
        names = (await readdir(path)).filter((name) => !name.startsWith('.')).sort().map((name) => join(path, name));
      } catch (error) {
        logger.error({ path, err: (error as Error).message }, 'cannot read static pod path');
        return;
      }
    } else if (info.isFile()) {
      const dir = await stat(dirname(path)).catch(() => undefined);
      this.ensureWatching(dirname(path), basename(path), dir ? `${dir.dev}:${dir.ino}` : '');
      names = [path];
      keepLastGood = true;
    } else {
      this.note(`kind:${path}`, () => logger.error({ path }, 'static pod path is neither a directory nor a regular file; no static pods from files'));
      this.files.clear();
      this.publish([]);
      return;
    }

    const located: { pod: Pod; location: string }[] = [];
    const present = new Set<string>();
    for (const file of names) {
      const state = await this.readFile(file, kind);
      if (!state) continue;
      present.add(file);
      const pods = keepLastGood && state.problems.length > 0 && state.lastGood.length > 0 ? state.lastGood : state.pods;
      for (const pod of pods) located.push({ pod, location: file });
    }
    for (const file of this.files.keys()) if (!present.has(file)) this.files.delete(file);

    const { pods, duplicates } = dropDuplicateStaticPods(located);
    for (const duplicate of duplicates) {
      const problem = duplicateProblem(duplicate);
      this.note(`dup:${problem.location}:${problem.message}`, () =>
        logger.warn({ file: problem.location, pod: `${duplicate.pod.metadata?.namespace}/${duplicate.pod.metadata?.name}`, keptFrom: duplicate.keptFrom }, 'duplicate static pod ignored'),
      );
    }
    this.publish(pods);
  }

  /** The file's state after reading it, or undefined when it is not a manifest file to read. */
  private async readFile(file: string, kind: ListingKind): Promise<FileState | undefined> {
    const { logger } = this.options;
    const info = await stat(file).catch((error: NodeJS.ErrnoException) => error);
    if (info instanceof Error) {
      if (info.code !== 'ENOENT') this.note(`read:${file}:${info.code}`, () => logger.error({ file, err: info.message }, 'cannot read static pod manifest'));
      return undefined;
    }
    if (info.isDirectory()) {
      this.note(`dir:${file}`, () => logger.warn({ file }, 'not descending into a directory under the static pod path'));
      return undefined;
    }
    if (!info.isFile()) {
      this.note(`kind:${file}`, () => logger.warn({ file }, 'not a regular file; skipped'));
      return undefined;
    }
    const content = await readCapped(file, MAX_MANIFEST_BYTES).catch((error: NodeJS.ErrnoException) => error);
    if (content instanceof Error) {
      if (content.code === 'ENOENT') return undefined;
      const previous = this.files.get(file);
      this.note(`read:${file}:${content.code}`, () => logger.error({ file, err: content.message }, 'cannot read static pod manifest'));
      const state: FileState = { digest: '', pods: [], problems: [{ location: file, reason: 'MalformedManifest', message: content.message }], lastGood: previous?.lastGood ?? [] };
      this.files.set(file, state);
      return state;
    }
    const digest = createHash('sha256').update(content).digest('hex');
    const previous = this.files.get(file);
    if (previous?.digest === digest) return previous;

    const problems: StaticPodProblem[] = [];
    let pods: Pod[] = [];
    if (content.length > MAX_MANIFEST_BYTES) {
      problems.push({ location: file, reason: 'MalformedManifest', message: `the manifest is larger than the ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB a manifest may hold` });
    } else {
      const decoded = decodeStaticPods(content.toString('utf8'), { source: 'file', location: file, nodeName: this.options.nodeName, firstSeen: this.seen.firstSeen });
      pods = decoded.pods;
      problems.push(...decoded.problems);
    }
    for (const problem of problems) {
      const fields = { file, ...(problem.document !== undefined ? { document: problem.document } : {}), ...(problem.pod !== undefined ? { pod: problem.pod } : {}), reason: problem.reason, err: problem.message };
      logger.warn(fields, 'static pod manifest refused');
    }
    if (problems.length > 0 && previous && previous.lastGood.length > 0) {
      if (file === this.options.path) logger.warn({ file, pods: previous.lastGood.length }, 'keeping the pods of the previous version of the manifest until it is valid again');
      else if (kind === 'watch') logger.warn({ file, pods: previous.lastGood.length }, 'keeping the pods of the previous version of the manifest until the next periodic listing');
    }
    const state: FileState = { digest, pods, problems, lastGood: problems.length === 0 ? pods : (previous?.lastGood ?? []) };
    this.files.set(file, state);
    return state;
  }

  private publish(pods: Pod[]): void {
    this.seen.retain(pods.map((pod) => pod.metadata?.uid ?? ''));
    const fingerprint = canonicalJson(pods);
    if (fingerprint === this.lastSet || this.stopped) return;
    this.lastSet = fingerprint;
    this.options.logger.info({ pods: pods.map((pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`) }, 'static pods from files');
    this.options.sink.set(pods);
  }

  /** Watches the directory (for one file, its directory, keeping only that file's events); again when it was replaced. */
  private ensureWatching(dir: string, only: string | undefined, identity: string): void {
    if (this.stopped) return;
    if (this.watcher && this.watched === identity) return;
    this.stopWatching();
    this.watched = identity;
    try {
      this.watcher = watch(dir, (_event, name) => {
        if (only !== undefined && name !== null && name !== only) return;
        clearTimeout(this.settleTimer);
        this.settleTimer = setTimeout(() => void this.list('watch'), this.options.settleMs ?? 10);
      });
      this.watcher.on('error', (error: Error) => {
        this.options.logger.warn({ path: dir, err: error.message }, 'static pod path watch failed; relying on the periodic listing until it is back');
        this.stopWatching();
      });
    } catch (error) {
      this.note(`watch:${dir}`, () =>
        this.options.logger.warn({ path: dir, err: (error as Error).message }, 'cannot watch the static pod path; relying on the periodic listing'),
      );
    }
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.watched = undefined;
  }

  /** Logs a condition found by a listing unless the previous listing found it too. */
  private note(key: string, log: () => void): void {
    this.current.add(key);
    if (!this.conditions.has(key)) log();
  }
}

/** Reads at most limit + 1 bytes, so a file that grows while being read cannot exhaust memory. */
async function readCapped(file: string, limit: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.alloc(Math.min(1024 * 1024, limit + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limit) break;
    }
    return Buffer.concat(chunks);
  } finally {
    await handle.close();
  }
}
