// The project's own real-runtime setup: scripts/containerd/setup.sh installs and starts a private
// containerd with our hand-built images, and stop.sh takes it all down again. Needs root (it
// installs packages, mounts and runs containers); skipped otherwise.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const scripts = join(repo, 'scripts/containerd');
const dir = process.env.KERNELET_CONTAINERD_DIR ?? '/var/lib/kernelet-test/containerd';
const socket = join(dir, 'containerd.sock');
const pauseImage = 'localhost/kernelet/pause:3.10';
const testImage = 'localhost/kernelet-test/busybox:v1';
const isRoot = process.getuid?.() === 0;

const COLD_SETUP_MS = 15 * 60_000; // apt-get update + install on a fresh machine
const env = { ...process.env, KERNELET_CONTAINERD_DIR: dir };

interface Result {
  stdout: string;
  stderr: string;
}

async function sh(script: string, ...args: string[]): Promise<Result> {
  return run('bash', [join(scripts, script), ...args], { env, maxBuffer: 16 << 20 });
}

async function ctr(...args: string[]): Promise<Result> {
  return run('ctr', ['-a', socket, ...args], { env, maxBuffer: 16 << 20 });
}

async function answers(): Promise<boolean> {
  if (!existsSync(socket)) return false;
  try {
    await ctr('--connect-timeout', '2s', 'version');
    return true;
  } catch {
    return false;
  }
}

/** `ctr images ls` rows in namespace k8s.io, by reference. */
async function storedImages(): Promise<Map<string, { mediaType: string; digest: string }>> {
  const { stdout } = await ctr('-n', 'k8s.io', 'images', 'ls');
  const rows = new Map<string, { mediaType: string; digest: string }>();
  for (const line of stdout.trim().split('\n').slice(1)) {
    const [ref, mediaType, digest] = line.split(/\s+/);
    if (ref && mediaType && digest) rows.set(ref, { mediaType, digest });
  }
  return rows;
}

/** What setup.sh recorded: "<reference> <manifest digest>" per line. */
function recordedImages(): Map<string, string> {
  const lines = readFileSync(join(dir, 'images.txt'), 'utf8').trim().split('\n');
  return new Map(lines.map((l) => l.split(' ') as [string, string]));
}

function daemonPid(): number {
  return Number(readFileSync(join(dir, 'containerd.pid'), 'utf8').trim());
}

/** Live (not zombie) processes whose command line mentions our socket: containerd's shims. */
function shimsOfOurSocket(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state !== 'Z' && cmdline[0]?.includes('containerd-shim') && cmdline.includes(socket)) {
        found.push(`${pid} ${cmdline.join(' ')}`);
      }
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function mountsUnder(path: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${path}/`));
}

function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe.skipIf(!isRoot)(
  isRoot ? 'scripts/containerd: private containerd setup' : 'scripts/containerd (skipped: needs root)',
  () => {
    let wasRunning = false;
    const id = `kernelet-setup-test-${process.pid}`;

    afterAll(async () => {
      // Leave the machine as found: a containerd someone was using runs again (warm, about a
      // second); one this file started is stopped even when a test failed half-way.
      await sh(wasRunning ? 'setup.sh' : 'stop.sh');
    }, COLD_SETUP_MS);

    it(
      'sets up containerd and prints the endpoint of a socket that answers',
      async () => {
        wasRunning = await answers();
        const { stdout } = await sh('setup.sh');
        expect(stdout.trim().split('\n').at(-1)).toBe(`unix://${socket}`);
        const version = await ctr('version');
        expect(version.stdout).toMatch(/Server:\s+Version:\s+\S+/);
      },
      COLD_SETUP_MS,
    );

    it('has the pause and busybox images in namespace k8s.io under their full names', async () => {
      const stored = await storedImages();
      const recorded = recordedImages();
      expect([...recorded.keys()].sort()).toEqual([testImage, pauseImage]);
      for (const ref of [pauseImage, testImage]) {
        expect(stored.get(ref), ref).toEqual({
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: recorded.get(ref),
        });
      }
    });

    it('builds the same image digest from the same inputs', async () => {
      const stored = await storedImages();
      const work = mkdtempSync(join(tmpdir(), 'kernelet-image-'));
      try {
        for (const [name, ref] of [
          ['busybox', testImage],
          ['pause', pauseImage],
        ] as const) {
          const fixture = join(repo, 'test/fixtures/images', name);
          const rootfs = join(work, name);
          // A different umask must not change the digest (modes are normalised).
          const script = 'umask 077 && mkdir -p "$1" && bash "$2/rootfs.sh" "$1" "$3"';
          await run('bash', ['-c', script, '-', rootfs, fixture, join(work, 'cache')]);
          const { stdout } = await run('node', [
            join(scripts, 'build-oci-image.mjs'),
            '--spec',
            join(fixture, 'image.json'),
            '--rootfs',
            rootfs,
            '--out',
            join(work, `${name}.tar`),
          ]);
          const built = JSON.parse(stdout) as { reference: string; manifestDigest: string };
          expect(built.reference).toBe(ref);
          expect(built.manifestDigest, ref).toBe(stored.get(ref)?.digest);
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    }, 60_000);

    it(
      'is a no-op when run again: same daemon, same digests, nothing imported',
      async () => {
        const pid = daemonPid();
        const before = recordedImages();
        const { stdout, stderr } = await sh('setup.sh');
        expect(stdout.trim().split('\n').at(-1)).toBe(`unix://${socket}`);
        expect(daemonPid()).toBe(pid);
        expect(recordedImages()).toEqual(before);
        expect(stderr).toContain('already running');
        expect(stderr).not.toMatch(/imported|installing|started/);
        const stored = await storedImages();
        for (const [ref, digest] of before) expect(stored.get(ref)?.digest, ref).toBe(digest);
      },
      COLD_SETUP_MS,
    );

    it('runs a busybox container with ctr', async () => {
      const { stdout } = await ctr('-n', 'k8s.io', 'run', '--rm', testImage, `${id}-echo`, 'echo', 'hello');
      expect(stdout).toBe('hello\n');
      const script = 'echo "$PATH"; sleep 0; date +%Y >/dev/null && ls /bin/sleep /usr/bin/wget';
      const shell = await ctr('-n', 'k8s.io', 'run', '--rm', testImage, `${id}-sh`, 'sh', '-c', script);
      const path = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
      expect(shell.stdout).toBe(`${path}\n/bin/sleep\n/usr/bin/wget\n`);
    });

    it('runs the pause image until SIGTERM, then it exits 0', async () => {
      const version = await ctr('-n', 'k8s.io', 'run', '--rm', pauseImage, `${id}-pause-v`, '/pause', '-v');
      expect(version.stdout).toMatch(/^pause 3\.10/);

      const name = `${id}-pause`;
      const args = ['-a', socket, '-n', 'k8s.io', 'run', '--rm', pauseImage, name];
      const child = spawn('ctr', args, { env, stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Wait until the task runs, then ask it to stop.
      for (let i = 0; i < 100; i++) {
        const { stdout } = await ctr('-n', 'k8s.io', 'tasks', 'ls');
        if (new RegExp(`^${name}\\s+\\d+\\s+RUNNING`, 'm').test(stdout)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await ctr('-n', 'k8s.io', 'tasks', 'kill', '-s', 'SIGTERM', name);
      const timeout = new Promise<string>((r) => setTimeout(() => r('timeout'), 10_000));
      const code = await Promise.race([exited, timeout]);
      if (code === 'timeout') child.kill('SIGKILL');
      expect(code).toBe(0);
    }, 30_000);

    it(
      'stop.sh stops running containers and the daemon, leaving no shim or mount behind',
      async () => {
        await ctr('-n', 'k8s.io', 'run', '-d', testImage, `${id}-sleeper`, 'sleep', '600');
        expect(shimsOfOurSocket()).not.toEqual([]);
        const pid = daemonPid();

        await sh('stop.sh');

        expect(shimsOfOurSocket()).toEqual([]);
        expect(mountsUnder(dir)).toEqual([]);
        expect(alive(pid)).toBe(false);
        expect(await answers()).toBe(false);
        // Idempotent: nothing left to stop is not an error.
        await sh('stop.sh');
      },
      60_000,
    );
  },
);
