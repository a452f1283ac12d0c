import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { errnoCode, messageOf } from './errors.js';
import { parseImageRef, refToDirName } from './image-ref.js';
import { EMPTY_IMAGE_CONFIG, type ImageConfig, type ImageManifestFile } from './image-store.js';
import { hashFile, scanLayer } from './tar-scan.js';

const run = promisify(execFile);

export interface ImportImageOptions {
  /** The runtime's --root: the store is <rootDir>/images. */
  rootDir: string;
  /** An OCI image layout directory, or a tar of one (or of `docker save` output). */
  source: string;
  /** The reference to store it under; default: the name recorded in the layout. */
  name?: string;
  /** Replace an image already stored under the name with a different id. */
  force?: boolean;
  /** GNU tar (default "tar" on PATH). */
  tar?: string;
}

export interface ImportedImage {
  id: string;
  name: string;
  rootfs: string;
  layers: number;
  /** False when the same image was already stored under the name. */
  changed: boolean;
}

export class ImportError extends Error {
  override readonly name = 'ImportError';
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string };
}

interface LayoutImage {
  name: string | undefined;
  manifestDigest: string | undefined;
  configPath: string;
  configDigest: string;
  layers: { path: string; digest: string | undefined }[];
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/**
 * Unpacks an image into the store: layers in order into <store>/<ref>/rootfs, honouring
 * whiteouts (".wh.name" deletes name from lower layers, ".wh..wh..opq" empties the
 * directory), and records the config (Env, Entrypoint, Cmd, WorkingDir, User,
 * StopSignal) in image.json. Digests of the manifest, config and layers are verified.
 * A layer entry that would pass through a symlink left by a lower layer is refused, as
 * it could write outside the rootfs. The new image appears atomically (rename).
 */
export async function importImage(options: ImportImageOptions): Promise<ImportedImage> {
  const tar = options.tar ?? 'tar';
  const store = join(options.rootDir, 'images');
  await mkdir(store, { recursive: true, mode: 0o755 });
  const work = join(store, `.import-${randomBytes(6).toString('hex')}`);
  await mkdir(work, { mode: 0o700 });
  try {
    let layout = options.source;
    const sourceStat = await stat(options.source).catch((err: unknown) => {
      throw new ImportError(`cannot read ${options.source}: ${messageOf(err)}`);
    });
    if (!sourceStat.isDirectory()) {
      layout = join(work, 'layout');
      await mkdir(layout);
      await run(tar, ['-x', '-f', options.source, '-C', layout]).catch((err: unknown) => {
        throw new ImportError(`cannot unpack ${options.source}: ${messageOf(err)}`);
      });
    }
    const image = await readLayout(layout, options.name);
    const nameText = options.name ?? image.name;
    if (nameText === undefined) {
      throw new ImportError(`${options.source} names no image (no io.containerd.image.name or full org.opencontainers.image.ref.name annotation): pass --name`);
    }
    const ref = parseImageRef(nameText);
    if (ref.tag === undefined) throw new ImportError(`image name "${nameText}" needs a tag`);
    const name = `${ref.repository}:${ref.tag}`;

    const configText = await readFile(image.configPath);
    const configDigest = await hashFile(image.configPath);
    if (configDigest !== image.configDigest) throw new ImportError(`config blob digest ${configDigest} does not match ${image.configDigest}`);
    const config = parseImageConfig(JSON.parse(configText.toString('utf8')));

    const finalDir = join(store, refToDirName(name));
    const existing = await readFile(join(finalDir, 'image.json'), 'utf8').then(
      (text) => JSON.parse(text) as { id?: string },
      () => undefined,
    );
    if (existing?.id === configDigest) return { id: configDigest, name, rootfs: join(finalDir, 'rootfs'), layers: image.layers.length, changed: false };
    if (existing && !options.force) {
      throw new ImportError(`${name} is already stored with id ${existing.id ?? '?'}; pass --force to replace it`);
    }

    const staging = join(work, 'image');
    const rootfs = join(staging, 'rootfs');
    await mkdir(rootfs, { recursive: true, mode: 0o755 });
    let size = configText.length;
    let inodes = 0;
    for (const [index, layer] of image.layers.entries()) {
      const scan = await scanLayer(layer.path).catch((err: unknown) => {
        throw new ImportError(`cannot read layer ${index + 1} (${layer.path}): ${messageOf(err)}`);
      });
      if (layer.digest !== undefined && scan.digest !== layer.digest) {
        throw new ImportError(`layer ${index + 1} digest ${scan.digest} does not match ${layer.digest}`);
      }
      if (scan.compression === 'zstd') throw new ImportError(`layer ${index + 1} is zstd-compressed; only gzip and plain tar layers are supported`);
      await applyWhiteouts(rootfs, scan.entries, index + 1);
      const args = ['-x', '-f', layer.path, '-C', rootfs, '--numeric-owner', '--preserve-permissions', '--exclude=.wh.*'];
      if (scan.compression === 'gzip') args.push('-z');
      if (process.getuid?.() !== 0) args.push('--no-same-owner');
      await run(tar, args, { maxBuffer: 16 * 1024 * 1024 }).catch((err: unknown) => {
        throw new ImportError(`cannot unpack layer ${index + 1}: ${messageOf(err)}`);
      });
      size += (await stat(layer.path)).size;
      inodes += scan.entries.filter((e) => !isWhiteout(e)).length;
    }

    const repoDigests = image.manifestDigest === undefined ? [] : [`${ref.repository}@${image.manifestDigest}`];
    const manifest: ImageManifestFile = {
      schemaVersion: 1,
      id: configDigest,
      repoTags: [name],
      repoDigests,
      size,
      inodes,
      config,
      importedFrom: options.source,
      importedAt: new Date().toISOString(),
    };
    await writeFile(join(staging, 'image.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (existing) {
      const trash = join(work, 'replaced');
      await rename(finalDir, trash);
    }
    await rename(staging, finalDir);
    return { id: configDigest, name, rootfs: join(finalDir, 'rootfs'), layers: image.layers.length, changed: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function readLayout(dir: string, wanted: string | undefined): Promise<LayoutImage> {
  const hasIndex = await stat(join(dir, 'index.json')).then(
    () => true,
    () => false,
  );
  if (hasIndex) return readOciLayout(dir, wanted);
  const hasDockerManifest = await stat(join(dir, 'manifest.json')).then(
    () => true,
    () => false,
  );
  if (hasDockerManifest) return readDockerSave(dir, wanted);
  throw new ImportError(`${dir} is neither an OCI image layout (index.json) nor a docker save archive (manifest.json)`);
}

async function readOciLayout(dir: string, wanted: string | undefined): Promise<LayoutImage> {
  const index = (await readJson(join(dir, 'index.json'))) as { manifests?: Descriptor[] };
  const manifests = index.manifests ?? [];
  if (manifests.length === 0) throw new ImportError(`${dir}/index.json lists no manifests`);
  const wantedRef = wanted === undefined ? undefined : parseImageRef(wanted).normalised;
  const named = (d: Descriptor) => {
    const annotations = d.annotations ?? {};
    const containerd = annotations['io.containerd.image.name'];
    if (containerd) return containerd;
    const refName = annotations['org.opencontainers.image.ref.name'];
    // A bare tag ("v1") is not a reference on its own.
    return refName !== undefined && (refName.includes('/') || refName.includes(':')) ? refName : undefined;
  };
  const chosen =
    (wantedRef === undefined ? undefined : manifests.find((d) => safeNormalise(named(d)) === wantedRef)) ??
    (manifests.length === 1 || wantedRef !== undefined ? manifests[0] : undefined);
  if (!chosen) throw new ImportError(`${dir} holds ${manifests.length} images: pass --name to pick one`);

  let descriptor = chosen;
  for (let depth = 0; descriptor.mediaType === OCI_INDEX || descriptor.mediaType === DOCKER_LIST; depth++) {
    if (depth > 4) throw new ImportError('image index nesting too deep');
    const nested = (await readBlobJson(dir, descriptor)) as { manifests?: Descriptor[] };
    const platforms = nested.manifests ?? [];
    const arch = goArch();
    const match = platforms.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch);
    if (!match) throw new ImportError(`image index ${descriptor.digest} has no linux/${arch} manifest`);
    descriptor = match;
  }
  const manifest = (await readBlobJson(dir, descriptor)) as { config?: Descriptor; layers?: Descriptor[] };
  if (!manifest.config) throw new ImportError(`manifest ${descriptor.digest} has no config`);
  const layers = (manifest.layers ?? []).map((layer) => {
    if (layer.mediaType?.includes('nondistributable') && layer.mediaType.includes('foreign')) {
      throw new ImportError(`layer ${layer.digest} is a foreign layer and is not in the layout`);
    }
    return { path: blobPath(dir, layer.digest), digest: layer.digest };
  });
  return {
    name: named(chosen),
    manifestDigest: descriptor.digest,
    configPath: blobPath(dir, manifest.config.digest),
    configDigest: manifest.config.digest,
    layers,
  };
}

async function readDockerSave(dir: string, wanted: string | undefined): Promise<LayoutImage> {
  const entries = (await readJson(join(dir, 'manifest.json'))) as { Config?: string; RepoTags?: string[]; Layers?: string[] }[];
  const wantedRef = wanted === undefined ? undefined : parseImageRef(wanted).normalised;
  const chosen =
    (wantedRef === undefined ? undefined : entries.find((e) => (e.RepoTags ?? []).some((t) => safeNormalise(t) === wantedRef))) ??
    (entries.length === 1 || wantedRef !== undefined ? entries[0] : undefined);
  if (!chosen?.Config) throw new ImportError(`${dir}/manifest.json: pass --name to pick one of ${entries.length} images`);
  const configPath = join(dir, chosen.Config);
  return {
    name: chosen.RepoTags?.[0],
    manifestDigest: undefined,
    configPath,
    configDigest: await hashFile(configPath),
    layers: (chosen.Layers ?? []).map((layer) => ({ path: join(dir, layer), digest: undefined })),
  };
}

/** Applies a layer's whiteouts to the lower layers already in rootfs, and refuses unsafe paths. */
async function applyWhiteouts(rootfs: string, entries: readonly string[], layer: number): Promise<void> {
  for (const entry of entries) {
    const parts = entry.split('/');
    if (parts.some((p) => p === '..')) throw new ImportError(`layer ${layer} entry "${entry}" contains ".."`);
    // Every parent that exists already must be a real directory, not a symlink out of the rootfs.
    let path = rootfs;
    for (const part of parts.slice(0, -1)) {
      path = join(path, part);
      const info = await lstat(path).catch(() => undefined);
      if (!info) break;
      if (info.isSymbolicLink()) throw new ImportError(`layer ${layer} entry "${entry}" passes through the symlink "${path.slice(rootfs.length + 1)}"`);
    }
    const base = parts[parts.length - 1] ?? '';
    const parent = join(rootfs, ...parts.slice(0, -1));
    if (base === '.wh..wh..opq') {
      const children = await readdir(parent).catch(() => [] as string[]);
      for (const child of children) await rm(join(parent, child), { recursive: true, force: true });
    } else if (base.startsWith('.wh.')) {
      await rm(join(parent, base.slice(4)), { recursive: true, force: true }).catch((err: unknown) => {
        if (errnoCode(err) !== 'ENOENT') throw err;
      });
    }
  }
}

function isWhiteout(entry: string): boolean {
  return (entry.split('/').pop() ?? '').startsWith('.wh.');
}

export function parseImageConfig(value: unknown): ImageConfig {
  const config = ((value as { config?: Record<string, unknown> } | null)?.config ?? {}) as Record<string, unknown>;
  const strings = (x: unknown) => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);
  return {
    ...EMPTY_IMAGE_CONFIG,
    env: strings(config['Env']),
    entrypoint: strings(config['Entrypoint']),
    cmd: strings(config['Cmd']),
    workingDir: typeof config['WorkingDir'] === 'string' ? config['WorkingDir'] : '',
    user: typeof config['User'] === 'string' ? config['User'] : '',
    stopSignal: typeof config['StopSignal'] === 'string' ? config['StopSignal'] : '',
  };
}

function blobPath(dir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  if (!algorithm || !hex || !/^[a-z0-9]+$/.test(algorithm) || !/^[a-f0-9]+$/.test(hex)) throw new ImportError(`invalid digest "${digest}"`);
  return join(dir, 'blobs', algorithm, hex);
}

async function readBlobJson(dir: string, descriptor: Descriptor): Promise<unknown> {
  const path = blobPath(dir, descriptor.digest);
  const digest = await hashFile(path).catch((err: unknown) => {
    throw new ImportError(`missing blob ${descriptor.digest}: ${messageOf(err)}`);
  });
  if (digest !== descriptor.digest) throw new ImportError(`blob ${descriptor.digest} has digest ${digest}`);
  return readJson(path);
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ImportError(`cannot read ${path}: ${messageOf(err)}`);
  }
}

function safeNormalise(ref: string | undefined): string | undefined {
  if (ref === undefined) return undefined;
  try {
    return parseImageRef(ref).normalised;
  } catch {
    return undefined;
  }
}

function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[process.arch] ?? process.arch;
}
