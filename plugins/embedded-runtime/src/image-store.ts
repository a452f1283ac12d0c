import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { errnoCode, failedPrecondition, messageOf } from './errors.js';
import { isImageId, parseImageRef, refToDirName } from './image-ref.js';

/** The parts of an OCI image config a runtime uses for defaults. */
export interface ImageConfig {
  env: string[];
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  user: string;
  stopSignal: string;
}

/** image.json in a store directory. */
export interface ImageManifestFile {
  schemaVersion: 1;
  /** The config digest, as containerd reports image ids. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** Bytes of the image as imported (config plus layer blobs). */
  size: number;
  /** Files and directories in the rootfs. */
  inodes: number;
  config: ImageConfig;
  importedFrom: string;
  importedAt: string;
}

/** An image the runtime can run: from the store (a rootfs) or mapped to the host root. */
export interface ResolvedImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  inodes: number;
  config: ImageConfig;
  /** The root directory containers of this image chroot into; "/" for the host root. */
  rootfs: string;
  source: 'store' | 'host';
}

export const EMPTY_IMAGE_CONFIG: ImageConfig = { env: [], entrypoint: [], cmd: [], workingDir: '', user: '', stopSignal: '' };

const HOST_REFS_FILE = 'host-refs.json';

/**
 * The local image store, <root>/images/:
 *   <escaped reference>/image.json   id, tags, digests, size, config (Env, Entrypoint, Cmd, WorkingDir, User)
 *   <escaped reference>/rootfs/      the unpacked layers
 *   host-refs.json                   references mapped to the host root that were pulled or used
 * A reference not in the store resolves to the host root ("/") and is reported present:
 * no registry is reachable, so a pull can only map the name.
 */
export class ImageStore {
  private readonly cache = new Map<string, { mtimeMs: number; file: ImageManifestFile }>();
  private hostRefs = new Set<string>();
  private hostRefsWrite: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o755 });
    const text = await readFile(join(this.dir, HOST_REFS_FILE), 'utf8').catch(() => '[]');
    try {
      const refs: unknown = JSON.parse(text);
      if (Array.isArray(refs)) this.hostRefs = new Set(refs.filter((r): r is string => typeof r === 'string'));
    } catch (err) {
      this.logger.warn({ err }, 'ignoring unreadable host-refs.json');
    }
  }

  /**
   * The store image for a reference or id, if imported. Tags sharing an id are one image
   * (as in containerd): its tags and digests are merged; the rootfs is the named tag's.
   */
  async find(refOrId: string): Promise<ResolvedImage | undefined> {
    const entries = await this.listStore();
    let entry: ResolvedImage | undefined;
    if (isImageId(refOrId)) entry = entries.find((image) => image.id === refOrId);
    else {
      const ref = parseImageRef(refOrId);
      if (ref.tag !== undefined) entry = await this.readImage(refToDirName(`${ref.repository}:${ref.tag}`));
      if (!entry && ref.digest !== undefined) {
        const wanted = `${ref.repository}@${ref.digest}`;
        entry = entries.find((image) => image.repoDigests.includes(wanted));
      }
    }
    if (!entry) return undefined;
    const merged = mergeById(entries).find((image) => image.id === entry.id);
    return merged ? { ...merged, rootfs: entry.rootfs } : entry;
  }

  /**
   * What a container of this image runs in: the store rootfs, else the host root. An id
   * that is neither a store image nor a recorded host mapping resolves to nothing.
   */
  async resolve(refOrId: string): Promise<ResolvedImage | undefined> {
    const stored = await this.find(refOrId);
    if (stored) return stored;
    if (isImageId(refOrId)) {
      const ref = [...this.hostRefs].find((r) => hostImageId(r) === refOrId);
      return ref === undefined ? undefined : hostImage(ref);
    }
    return hostImage(parseImageRef(refOrId).normalised);
  }

  /** PullImage: a store image as it is, anything else mapped to the host root and remembered. */
  async pull(ref: string): Promise<ResolvedImage> {
    const image = await this.resolve(ref);
    if (!image) throw failedPrecondition(`image "${ref}" is not in the local store and an id cannot be pulled`);
    if (image.source === 'host') {
      this.logger.info({ image: ref }, 'image not in the local store; mapped to the host root');
      await this.rememberHostRef(image.repoTags[0] ?? ref);
    }
    return image;
  }

  /** Records a host-mapped reference so ListImages shows it (PullImage and CreateContainer call this). */
  async rememberHostRef(normalised: string): Promise<void> {
    if (this.hostRefs.has(normalised)) return;
    this.hostRefs.add(normalised);
    await this.saveHostRefs();
  }

  async list(): Promise<ResolvedImage[]> {
    const stored = mergeById(await this.listStore());
    const storedTags = new Set(stored.flatMap((image) => image.repoTags));
    const mapped = [...this.hostRefs].filter((ref) => !storedTags.has(ref)).map(hostImage);
    return [...stored, ...mapped];
  }

  /**
   * Removes a store image (refused while a container uses it): by id, every tag of it; by
   * reference, that tag. For a host mapping, forgets the reference.
   */
  async remove(refOrId: string, usedBy: (imageId: string) => string | undefined): Promise<void> {
    const image = await this.resolve(refOrId);
    if (!image) return;
    const tags = isImageId(refOrId) ? image.repoTags : [parseImageRef(refOrId).normalised];
    if (image.source === 'host') {
      for (const tag of tags) this.hostRefs.delete(tag);
      await this.saveHostRefs();
      return;
    }
    const user = usedBy(image.id);
    if (user !== undefined) throw failedPrecondition(`image "${refOrId}" is in use by container ${user}`);
    for (const tag of tags) {
      const dir = join(this.dir, refToDirName(tag));
      const trash = join(this.dir, `.trash-${randomBytes(6).toString('hex')}`);
      try {
        await rename(dir, trash);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') continue;
        throw err;
      }
      this.cache.delete(refToDirName(tag));
      await rm(trash, { recursive: true, force: true });
    }
  }

  /** Usage of the store: bytes and inodes of the imported images, on the store's filesystem. */
  async fsInfo(): Promise<{ mountpoint: string; usedBytes: bigint; inodesUsed: bigint }> {
    const images = await this.listStore();
    return {
      mountpoint: this.dir,
      usedBytes: BigInt(images.reduce((sum, image) => sum + image.size, 0)),
      inodesUsed: BigInt(images.reduce((sum, image) => sum + image.inodes, 0)),
    };
  }

  private async listStore(): Promise<ResolvedImage[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const images: ResolvedImage[] = [];
    for (const name of names) {
      if (name.startsWith('.') || name === HOST_REFS_FILE) continue;
      const image = await this.readImage(name);
      if (image) images.push(image);
    }
    return images;
  }

  private async readImage(dirName: string): Promise<ResolvedImage | undefined> {
    const path = join(this.dir, dirName, 'image.json');
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(path)).mtimeMs;
    } catch {
      this.cache.delete(dirName);
      return undefined;
    }
    let cached = this.cache.get(dirName);
    if (!cached || cached.mtimeMs !== mtimeMs) {
      try {
        const file = parseImageManifest(JSON.parse(await readFile(path, 'utf8')));
        cached = { mtimeMs, file };
        this.cache.set(dirName, cached);
      } catch (err) {
        this.logger.warn({ path, err: messageOf(err) }, 'ignoring unreadable image.json');
        return undefined;
      }
    }
    const { file } = cached;
    return {
      id: file.id,
      repoTags: file.repoTags,
      repoDigests: file.repoDigests,
      size: file.size,
      inodes: file.inodes,
      config: file.config,
      rootfs: join(this.dir, dirName, 'rootfs'),
      source: 'store',
    };
  }

  private saveHostRefs(): Promise<void> {
    const refs = JSON.stringify([...this.hostRefs].sort(), null, 2);
    this.hostRefsWrite = this.hostRefsWrite.then(async () => {
      const path = join(this.dir, HOST_REFS_FILE);
      await writeFile(`${path}.tmp`, refs);
      await rename(`${path}.tmp`, path);
    });
    return this.hostRefsWrite;
  }
}

/** A reference mapped to the host root: id derived from the reference, size 0, pinned. */
export function hostImage(normalised: string): ResolvedImage {
  return {
    id: hostImageId(normalised),
    repoTags: [normalised],
    repoDigests: [],
    size: 0,
    inodes: 0,
    config: EMPTY_IMAGE_CONFIG,
    rootfs: '/',
    source: 'host',
  };
}

/** One image per id, with the tags and digests of every store entry that has it. */
function mergeById(entries: ResolvedImage[]): ResolvedImage[] {
  const byId = new Map<string, ResolvedImage>();
  for (const entry of entries) {
    const seen = byId.get(entry.id);
    if (!seen) byId.set(entry.id, { ...entry, repoTags: [...entry.repoTags], repoDigests: [...entry.repoDigests] });
    else {
      seen.repoTags = [...new Set([...seen.repoTags, ...entry.repoTags])].sort();
      seen.repoDigests = [...new Set([...seen.repoDigests, ...entry.repoDigests])].sort();
    }
  }
  return [...byId.values()];
}

export function hostImageId(normalised: string): string {
  return `sha256:${createHash('sha256').update(`kernelet-embedded host root\n${normalised}`).digest('hex')}`;
}

function parseImageManifest(value: unknown): ImageManifestFile {
  const v = value as Partial<ImageManifestFile> | null;
  if (!v || typeof v.id !== 'string' || !Array.isArray(v.repoTags)) throw new Error('image.json lacks id or repoTags');
  const config = (v.config ?? {}) as Partial<ImageConfig>;
  const strings = (x: unknown) => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);
  return {
    schemaVersion: 1,
    id: v.id,
    repoTags: strings(v.repoTags),
    repoDigests: strings(v.repoDigests),
    size: typeof v.size === 'number' ? v.size : 0,
    inodes: typeof v.inodes === 'number' ? v.inodes : 0,
    config: {
      env: strings(config.env),
      entrypoint: strings(config.entrypoint),
      cmd: strings(config.cmd),
      workingDir: typeof config.workingDir === 'string' ? config.workingDir : '',
      user: typeof config.user === 'string' ? config.user : '',
      stopSignal: typeof config.stopSignal === 'string' ? config.stopSignal : '',
    },
    importedFrom: typeof v.importedFrom === 'string' ? v.importedFrom : '',
    importedAt: typeof v.importedAt === 'string' ? v.importedAt : '',
  };
}
