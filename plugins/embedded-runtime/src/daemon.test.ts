import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtime } from '@kernelet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEmbeddedRuntime } from './ensure.js';
import { probeVersion } from './probe.js';
import { PID_FILE } from './root-dir-lock.js';
import { alive, CriClient, eventually, parseCriLog, readLog, removeCgroupTree, tempDir } from './test-support.js';

const { CONTAINER_RUNNING, CONTAINER_EXITED } = runtime.ContainerState;
const distMain = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const cgroupRoot = `kernelet-test-daemon-${randomBytes(4).toString('hex')}`;

let dir: Awaited<ReturnType<typeof tempDir>>;
const started: number[] = [];

async function pidState(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

/** Gone, or a zombie nobody has reaped yet. */
async function ended(pid: number): Promise<boolean> {
  const state = await pidState(pid);
  return state === undefined || state === 'Z';
}

beforeAll(async () => {
  await access(distMain).catch(() => {
    throw new Error(`${distMain} is missing: run "npx tsc -b" first`);
  });
  dir = await tempDir();
});

afterAll(async () => {
  for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await removeCgroupTree(cgroupRoot);
  await dir.remove();
});

describe('the kernelet-embedded-runtime daemon', () => {
  it('is started once by ensureEmbeddedRuntime, survives as a separate process, and re-adopts containers after a crash', { timeout: 60_000 }, async () => {
    const socketPath = join(dir.path, 'rt.sock');
    const rootDir = join(dir.path, 'root');
    const logFile = join(dir.path, 'log', 'runtime.log');
    // timeoutMs: a daemon starting on a loaded machine may need more than the default 10 s.
    const options = { socketPath, rootDir, logFile, cgroupRoot, command: [process.execPath, distMain], timeoutMs: 30_000 };

    const first = await ensureEmbeddedRuntime(options);
    started.push(first.pid);
    expect(first.started).toBe(true);
    expect(await ensureEmbeddedRuntime(options)).toEqual({ pid: first.pid, started: false });
    // The daemon answers as soon as it is bound, a moment before it logs that it serves.
    await eventually(async () => (/embedded runtime serving/.test(await readLog(logFile)) ? true : undefined), 'the daemon log to say it serves');

    const cri = new CriClient(socketPath);
    const sandboxId = await cri.sandbox('daemon', join(dir.path, 'logs'));
    const ticker = await cri.container(sandboxId, 'ticker', ['sh', '-c', 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.05; done']);
    const victim = await cri.container(sandboxId, 'victim', ['sleep', '100']);
    const done = await cri.container(sandboxId, 'done', ['true']);
    for (const id of [ticker, victim, done]) await cri.call('startContainer', { containerId: id });
    await cri.waitForState(done, CONTAINER_EXITED);
    const tickerBefore = await cri.status(ticker);
    const victimPid = Number((await cri.call('containerStatus', { containerId: victim, verbose: true })).info['pid']);
    expect(victimPid).toBeGreaterThan(1);

    // The daemon crashes; its containers keep running. One of them dies while no runtime watches.
    process.kill(first.pid, 'SIGKILL');
    await eventually(async () => ((await ended(first.pid)) ? true : undefined), 'the daemon to die');
    const ticksAtCrash = parseCriLog(await readLog(tickerBefore.logPath)).length;
    process.kill(victimPid, 'SIGKILL');
    await eventually(async () => ((await ended(victimPid)) ? true : undefined), 'the victim to die');

    const second = await ensureEmbeddedRuntime(options);
    started.push(second.pid);
    expect(second.started).toBe(true);
    expect(second.pid).not.toBe(first.pid);

    const listed = (await cri.call('listContainers', { filter: { podSandboxId: sandboxId } })).containers.map((c) => c.id).sort();
    expect(listed).toEqual([ticker, victim, done].sort());
    const adopted = await cri.status(ticker);
    expect([adopted.state, adopted.startedAt, adopted.createdAt]).toEqual([CONTAINER_RUNNING, tickerBefore.startedAt, tickerBefore.createdAt]);
    const orphan = await cri.status(victim);
    expect([orphan.state, orphan.exitCode, orphan.reason]).toEqual([CONTAINER_EXITED, 255, 'Unknown']);
    expect(orphan.message).toMatch(/ended while the runtime was not running/);
    const finished = await cri.status(done);
    expect([finished.state, finished.exitCode, finished.reason]).toEqual([CONTAINER_EXITED, 0, 'Completed']);

    // Output written while no runtime read it waited in the FIFO; the new daemon keeps logging.
    // Only what the killed daemon had read and not yet written is gone: a line or two, a few
    // more if it was slow to read.
    const wanted = ticksAtCrash + 20;
    await eventually(async () => (parseCriLog(await readLog(tickerBefore.logPath)).length >= wanted ? true : undefined), 'ticks after the restart');
    const ticks = parseCriLog(await readLog(tickerBefore.logPath)).map((r) => Number(r.content.split(' ')[1]));
    expect(ticks.slice(0, ticksAtCrash)).toEqual(Array.from({ length: ticksAtCrash }, (_, i) => i));
    const resumed = ticks[ticksAtCrash] as number;
    expect(resumed - ticksAtCrash).toBeLessThanOrEqual(10);
    expect(ticks.slice(ticksAtCrash, wanted)).toEqual(Array.from({ length: wanted - ticksAtCrash }, (_, i) => resumed + i));

    // An adopted container is stopped like any other; its exit status is unknown.
    await cri.call('stopContainer', { containerId: ticker, timeout: 5n });
    const stopped = await cri.status(ticker);
    expect([stopped.state, stopped.exitCode, stopped.reason]).toEqual([CONTAINER_EXITED, 255, 'Unknown']);
    expect(stopped.message).toMatch(/earlier runtime instance/);

    // SIGTERM: the daemon stops every container (recording real exit codes), removes its socket and exits.
    const last = await cri.container(sandboxId, 'last', ['sleep', '100']);
    await cri.call('startContainer', { containerId: last });
    const lastPid = Number((await cri.call('containerStatus', { containerId: last, verbose: true })).info['pid']);
    cri.close();
    process.kill(second.pid, 'SIGTERM');
    await eventually(async () => ((await ended(second.pid)) ? true : undefined), 'the daemon to exit on SIGTERM');
    expect(await ended(lastPid)).toBe(true);
    await expect(access(socketPath)).rejects.toThrow(/ENOENT/);

    const third = spawn(process.execPath, [distMain, '--socket', socketPath, '--root', rootDir, '--cgroup-root', cgroupRoot], { stdio: 'ignore' });
    started.push(third.pid ?? 0);
    const exit = new Promise<number | null>((resolve) => third.once('exit', (code) => resolve(code)));
    // A node process starting on a loaded machine: give it time, and each probe time to answer.
    await eventually(async () => ((await probeVersion(socketPath, 2000)) ? true : undefined), 'the third daemon to serve', 30_000);
    const cri3 = new CriClient(socketPath);
    const lastStatus = await cri3.status(last);
    expect([lastStatus.state, lastStatus.exitCode, lastStatus.reason]).toEqual([CONTAINER_EXITED, 143, 'Error']);
    await cri3.call('removePodSandbox', { podSandboxId: sandboxId });
    cri3.close();
    third.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('keeps its root dir while it does not answer: a second daemon refuses it and ensureEmbeddedRuntime starts none', { timeout: 60_000 }, async () => {
    const socketPath = join(dir.path, 'busy.sock');
    const rootDir = join(dir.path, 'busy');
    const options = { socketPath, rootDir, logFile: join(dir.path, 'busy.log'), cgroupRoot, command: [process.execPath, distMain], timeoutMs: 30_000 };
    const first = await ensureEmbeddedRuntime(options);
    started.push(first.pid);
    expect(first.started).toBe(true);

    // Stopped, the daemon answers nothing, as one whose event loop is too busy to answer.
    process.kill(first.pid, 'SIGSTOP');
    try {
      const second = spawn(process.execPath, [distMain, '--socket', socketPath, '--root', rootDir, '--cgroup-root', cgroupRoot], { stdio: ['ignore', 'ignore', 'pipe'] });
      started.push(second.pid ?? 0);
      let stderr = '';
      second.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      expect(await new Promise<number | null>((resolve) => second.once('close', resolve))).toBe(1);
      expect(stderr).toContain(`root dir ${rootDir} is owned by another embedded runtime (pid ${first.pid}`);
      expect((await lstat(socketPath)).isSocket()).toBe(true);

      // ensureEmbeddedRuntime opens its log file only to start a daemon.
      const ensureLog = join(dir.path, 'busy-ensure.log');
      await expect(ensureEmbeddedRuntime({ ...options, logFile: ensureLog, timeoutMs: 1500 })).rejects.toThrow(
        `the embedded runtime owning root dir ${rootDir} (pid ${first.pid}) is alive but did not answer Version on ${socketPath}`,
      );
      await expect(access(ensureLog)).rejects.toThrow(/ENOENT/);
    } finally {
      process.kill(first.pid, 'SIGCONT');
    }
    expect(await ensureEmbeddedRuntime(options)).toEqual({ pid: first.pid, started: false });

    // Stopped cleanly, it gives the root dir up.
    process.kill(first.pid, 'SIGTERM');
    await eventually(async () => ((await ended(first.pid)) ? true : undefined), 'the daemon to exit on SIGTERM');
    await expect(access(join(rootDir, PID_FILE))).rejects.toThrow(/ENOENT/);
  });

  it('fails with the daemon log when the daemon cannot start', async () => {
    const logFile = join(dir.path, 'bad.log');
    await expect(
      ensureEmbeddedRuntime({ socketPath: join(dir.path, 'bad.sock'), rootDir: join(dir.path, 'bad'), logFile, command: [process.execPath, distMain, '--stop-grace', 'soon'] }),
    ).rejects.toThrow(/exited \(1\) before serving .*invalid --stop-grace "soon"/s);
  });
});
