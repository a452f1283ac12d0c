import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, chmod, copyFile, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { runtime } from '@kernelet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importImage } from './oci-import.js';
import { startEmbeddedRuntime, type EmbeddedRuntimeServer } from './server.js';
import { CriClient, parseCriLog, quietLogger, readLog, removeCgroupTree, tempDir } from './test-support.js';

const run = promisify(execFile);
const { CONTAINER_EXITED } = runtime.ContainerState;
const IMAGE = 'localhost/kernelet-test/busybox:v1';
const BUSYBOX = '/bin/busybox';
const distMain = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Whether a copy of the host's busybox runs alone in an empty root (it is static), as the image needs. */
async function busyboxSkipReason(): Promise<string> {
  if (process.getuid?.() !== 0) return 'running images needs root (chroot)';
  try {
    await access(BUSYBOX);
  } catch {
    return `${BUSYBOX} not found (apt-get install busybox-static)`;
  }
  const probe = await tempDir('ker-bb-');
  try {
    await mkdir(join(probe.path, 'bin'));
    await copyFile(BUSYBOX, join(probe.path, 'bin/busybox'));
    execFileSync('chroot', [probe.path, '/bin/busybox', 'true']);
    return '';
  } catch {
    return `${BUSYBOX} is not static: it cannot run alone in an image rootfs`;
  } finally {
    await probe.remove();
  }
}
const skip = await busyboxSkipReason();

async function writeBlob(layout: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const hex = createHash('sha256').update(data).digest('hex');
  await writeFile(join(layout, 'blobs/sha256', hex), data);
  return { digest: `sha256:${hex}`, size: data.length };
}

async function tarOf(dir: string): Promise<Buffer> {
  const { stdout } = await run('tar', ['-C', dir, '--numeric-owner', '--owner=0', '--group=0', '-cf', '-', '.'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/**
 * An OCI image layout built from the host's static busybox: layer 1 (gzip) has the
 * binary, a few applet links, /etc files and /data/old; layer 2 (plain tar) deletes
 * /etc/greeting with a whiteout, empties /data with an opaque whiteout, and adds files.
 */
async function buildLayout(work: string): Promise<string> {
  const l1 = join(work, 'l1');
  for (const d of ['bin', 'etc', 'data/old', 'tmp']) await mkdir(join(l1, d), { recursive: true });
  await copyFile(BUSYBOX, join(l1, 'bin/busybox'));
  for (const applet of ['sh', 'cat', 'ls', 'echo', 'pwd', 'env', 'id', 'sleep', 'touch', 'test']) await symlink('busybox', join(l1, 'bin', applet));
  await writeFile(join(l1, 'etc/greeting'), 'from layer 1\n');
  await writeFile(join(l1, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n');
  await writeFile(join(l1, 'data/old/a'), 'old\n');

  const l2 = join(work, 'l2');
  for (const d of ['etc', 'data', 'app']) await mkdir(join(l2, d), { recursive: true });
  await writeFile(join(l2, 'etc/.wh.greeting'), '');
  await writeFile(join(l2, 'data/.wh..wh..opq'), '');
  await writeFile(join(l2, 'data/new'), 'new data\n');
  await writeFile(join(l2, 'app/hello.sh'), '#!/bin/sh\necho "hello from $0"\n');
  await chmod(join(l2, 'app/hello.sh'), 0o755);

  const layout = join(work, 'layout');
  await mkdir(join(layout, 'blobs/sha256'), { recursive: true });
  const tar1 = await tarOf(l1);
  const tar2 = await tarOf(l2);
  const layer1 = await writeBlob(layout, gzipSync(tar1));
  const layer2 = await writeBlob(layout, tar2);
  const config = await writeBlob(
    layout,
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Env: ['PATH=/bin', 'FROM_IMAGE=yes'], Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo default cmd in $(pwd)'], WorkingDir: '/app' },
        rootfs: { type: 'layers', diff_ids: [tar1, tar2].map((t) => `sha256:${createHash('sha256').update(t).digest('hex')}`) },
      }),
    ),
  );
  const manifest = await writeBlob(
    layout,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer1 },
          { mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer2 },
        ],
      }),
    ),
  );
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'io.containerd.image.name': IMAGE, 'org.opencontainers.image.ref.name': 'v1' } }],
    }),
  );
  return layout;
}

describe.skipIf(skip !== '')(`image store ${skip ? `(skipped: ${skip})` : ''}`, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: EmbeddedRuntimeServer;
  let cri: CriClient;
  let layout: string;
  const cgroupRoot = `kernelet-test-img-${process.pid}`;
  const root = () => join(dir.path, 'root');

  beforeAll(async () => {
    dir = await tempDir();
    layout = await buildLayout(dir.path);
  });

  afterAll(async () => {
    cri?.close();
    await server?.close({ graceMs: 1000 });
    await removeCgroupTree(cgroupRoot);
    await dir.remove();
  });

  it('imports an OCI layout: layers in order, whiteouts honoured, config recorded', async () => {
    const imported = await importImage({ rootDir: root(), source: layout });
    expect(imported).toMatchObject({ name: IMAGE, layers: 2, changed: true });
    expect(imported.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const rootfs = imported.rootfs;
    await expect(stat(join(rootfs, 'etc/greeting'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(rootfs, 'data/old'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(rootfs, 'etc/.wh.greeting'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(rootfs, 'data/new'), 'utf8')).toBe('new data\n');
    expect((await stat(join(rootfs, 'bin/busybox'))).mode & 0o111).not.toBe(0);
    const manifest = JSON.parse(await readFile(join(rootfs, '..', 'image.json'), 'utf8')) as { config: { entrypoint: string[]; workingDir: string } };
    expect(manifest.config).toMatchObject({ entrypoint: ['/bin/sh', '-c'], workingDir: '/app' });

    expect((await importImage({ rootDir: root(), source: layout })).changed).toBe(false);
    await expect(importImage({ rootDir: root(), source: join(dir.path, 'nothing') })).rejects.toThrow(/cannot read/);
  });

  it('imports a tar of the layout under another name with the bin', async () => {
    await access(distMain).catch(() => {
      throw new Error(`${distMain} is missing: run "npx tsc -b" first`);
    });
    const archive = join(dir.path, 'layout.tar');
    await run('tar', ['-C', layout, '-cf', archive, '.']);
    const { stdout } = await run(process.execPath, [distMain, 'import', archive, '--name', 'localhost/kernelet-test/busybox:tarball', '--root', root()]);
    expect(JSON.parse(stdout)).toMatchObject({ name: 'localhost/kernelet-test/busybox:tarball', layers: 2 });
  });

  it('lists, filters and resolves images; other references map to the host root', async () => {
    server = await startEmbeddedRuntime({ socketPath: join(dir.path, 'rt.sock'), rootDir: root(), cgroupRoot, logger: quietLogger() });
    cri = new CriClient(server.socketPath);
    const all = (await cri.image('listImages')).images;
    // Both tags name the same image (one config digest): one image with two tags.
    expect(all.map((i) => i.repoTags)).toEqual([['localhost/kernelet-test/busybox:tarball', IMAGE]]);
    const byRef = (await cri.image('listImages', { filter: { image: { image: IMAGE } } })).images;
    expect(byRef.map((i) => i.repoTags)).toEqual([['localhost/kernelet-test/busybox:tarball', IMAGE]]);
    expect(byRef[0]?.repoDigests[0]).toMatch(/^localhost\/kernelet-test\/busybox@sha256:/);
    expect(byRef[0]?.size).toBeGreaterThan(100_000n);
    expect(byRef[0]?.pinned).toBe(false);
    const id = byRef[0]?.id ?? '';
    expect((await cri.image('listImages', { filter: { image: { image: id } } })).images.length).toBe(1);
    expect((await cri.image('listImages', { filter: { image: { image: 'localhost/other:v1' } } })).images).toEqual([]);
    expect((await cri.image('imageStatus', { image: { image: id } })).image?.id).toBe(id);

    const host = await cri.image('imageStatus', { image: { image: 'nginx:1.27' } });
    expect(host.image).toMatchObject({ repoTags: ['docker.io/library/nginx:1.27'], size: 0n, pinned: true });
    expect((await cri.image('imageStatus', { image: { image: `sha256:${'0'.repeat(64)}` } })).image).toBeUndefined();
    const pulled = await cri.image('pullImage', { image: { image: 'nginx:1.27' } });
    expect(pulled.imageRef).toBe(host.image?.id);
    expect((await cri.image('listImages', { filter: { image: { image: 'docker.io/library/nginx:1.27' } } })).images.length).toBe(1);
    await cri.image('removeImage', { image: { image: 'nginx:1.27' } });
    expect((await cri.image('listImages', { filter: { image: { image: 'nginx:1.27' } } })).images).toEqual([]);

    const fs = await cri.image('imageFsInfo');
    expect(fs.imageFilesystems[0]?.usedBytes?.value).toBeGreaterThan(0n);
  });

  it('runs containers chrooted in the image rootfs with its config, mounts, user and ExecSync', async () => {
    const logDir = join(dir.path, 'logs');
    const sandboxId = await cri.sandbox('img', logDir);

    // As the agent does: the image by the id ImageStatus reported, the pod's name beside it.
    const image = (await cri.image('imageStatus', { image: { image: IMAGE } })).image;
    const defaults = await cri.container(sandboxId, 'defaults', [], { image: { image: image?.id ?? '', userSpecifiedImage: IMAGE } });
    await cri.call('startContainer', { containerId: defaults });
    const d = await cri.waitForState(defaults, CONTAINER_EXITED);
    expect([d.exitCode, d.reason, d.imageId, d.imageRef, d.image?.image, d.image?.userSpecifiedImage]).toEqual([
      0,
      'Completed',
      image?.id,
      image?.repoDigests[0],
      IMAGE,
      IMAGE,
    ]);
    expect(parseCriLog(await readLog(d.logPath)).map((r) => r.content)).toEqual(['default cmd in /app']);

    const shared = join(dir.path, 'shared');
    await mkdir(shared);
    await writeFile(join(shared, 'file'), 'from the host\n');
    const inspect = await cri.container(
      sandboxId,
      'inspect',
      [
        'sh',
        '-c',
        [
          'echo "env=$FROM_IMAGE/$EXTRA"',
          'echo "cwd=$(pwd)"',
          'echo etc=$(ls /etc)',
          'echo data=$(ls /data)',
          'test -e /work && echo host-visible || echo chrooted',
          'cat /mnt/shared/file',
          'touch /mnt/shared/new 2>/dev/null && echo writable || echo read-only',
          'test -r /proc/self/status && echo proc-mounted',
          '/app/hello.sh',
        ].join('; '),
      ],
      { image: { image: IMAGE }, envs: [{ key: 'EXTRA', value: 'x' }], mounts: [{ containerPath: '/mnt/shared', hostPath: shared, readonly: true }] },
    );
    await cri.call('startContainer', { containerId: inspect });
    const i = await cri.waitForState(inspect, CONTAINER_EXITED);
    const lines = parseCriLog(await readLog(i.logPath)).map((r) => r.content);
    expect(lines).toEqual([
      'env=yes/x',
      'cwd=/app',
      expect.stringMatching(/^etc=.*passwd/),
      'data=new',
      'chrooted',
      'from the host',
      'read-only',
      'proc-mounted',
      'hello from /app/hello.sh',
    ]);
    expect(lines[2]).not.toMatch(/greeting/);
    expect(i.mounts.map((m) => m.containerPath)).toEqual(['/mnt/shared']);

    // A command and working dir that exist only in a volume, as the container sees it.
    await writeFile(join(shared, 'run.sh'), '#!/bin/sh\necho "script in $(pwd)"\n');
    await chmod(join(shared, 'run.sh'), 0o755);
    const scripted = await cri.container(sandboxId, 'scripted', ['/mnt/shared/run.sh'], {
      image: { image: IMAGE },
      workingDir: '/mnt/shared/work',
      mounts: [{ containerPath: '/mnt/shared', hostPath: shared }],
    });
    await cri.call('startContainer', { containerId: scripted });
    const sc = await cri.waitForState(scripted, CONTAINER_EXITED);
    expect([sc.exitCode, parseCriLog(await readLog(sc.logPath)).map((r) => r.content)]).toEqual([0, ['script in /mnt/shared/work']]);
    expect((await stat(join(shared, 'work'))).isDirectory()).toBe(true);

    const server1 = await cri.container(sandboxId, 'server', ['sleep', '100'], {
      image: { image: IMAGE },
      linux: { securityContext: { runAsUser: { value: 1000n } } },
      mounts: [{ containerPath: '/mnt/shared', hostPath: shared }],
    });
    await cri.call('startContainer', { containerId: server1 });
    const exec = await cri.call('execSync', { containerId: server1, cmd: ['sh', '-c', 'id -u; pwd; cat /data/new /mnt/shared/file'], timeout: 10n });
    expect(Buffer.from(exec.stdout).toString()).toBe('1000\n/app\nnew data\nfrom the host\n');
    expect(exec.exitCode).toBe(0);

    const removal = await cri.image('removeImage', { image: { image: IMAGE } }).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(removal?.code).toBe(grpcStatus.FAILED_PRECONDITION);
    expect(removal?.details).toMatch(/in use by container/);

    await cri.call('removePodSandbox', { podSandboxId: sandboxId });
    await cri.image('removeImage', { image: { image: IMAGE } });
    expect((await cri.image('listImages')).images.flatMap((img) => img.repoTags)).toEqual(['localhost/kernelet-test/busybox:tarball']);
    // The image is gone from the store, so the name now maps to the host root.
    expect((await cri.image('imageStatus', { image: { image: IMAGE } })).image?.pinned).toBe(true);
  });
});
