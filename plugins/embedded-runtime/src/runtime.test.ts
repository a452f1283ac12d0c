import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { runtime } from '@kernelet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedRuntime, type EmbeddedRuntimeServer } from './server.js';
import { CriClient, eventually, parseCriLog, quietLogger, readLog, removeCgroupTree, tempDir } from './test-support.js';

const { CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED } = runtime.ContainerState;

let dir: Awaited<ReturnType<typeof tempDir>>;
let server: EmbeddedRuntimeServer;
let cri: CriClient;
const cgroupRoot = `kernelet-test-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  dir = await tempDir();
  server = await startEmbeddedRuntime({ socketPath: join(dir.path, 'rt.sock'), rootDir: join(dir.path, 'root'), cgroupRoot, logger: quietLogger() });
  cri = new CriClient(server.socketPath);
});

afterAll(async () => {
  cri.close();
  await server.close({ graceMs: 1000 });
  await removeCgroupTree(cgroupRoot);
  await dir.remove();
});

function logs(name: string): string {
  return join(dir.path, 'logs', name);
}

async function expectCode(promise: Promise<unknown>, code: grpcStatus, message?: RegExp): Promise<ServiceError> {
  const err = (await promise.then(
    () => {
      throw new Error(`expected gRPC status ${grpcStatus[code]}, got success`);
    },
    (e: unknown) => e,
  )) as ServiceError;
  expect(grpcStatus[err.code], err.details).toBe(grpcStatus[code]);
  if (message) expect(err.details).toMatch(message);
  return err;
}

describe('runtime info', () => {
  it('answers Version and Status', async () => {
    const version = await cri.call('version', { version: 'v1' });
    expect(version).toMatchObject({ runtimeName: 'kernelet-embedded', runtimeApiVersion: 'v1' });
    const status = await cri.call('status', { verbose: true });
    expect(status.status?.conditions.map((c) => [c.type, c.status])).toEqual([
      ['RuntimeReady', true],
      ['NetworkReady', true],
    ]);
    const cgroups = JSON.parse(status.info['cgroups'] ?? '{}') as { version: string; defaultParent: string };
    expect(cgroups.defaultParent).toBe(cgroupRoot);
    const config = await cri.call('runtimeConfig');
    expect(config.linux?.cgroupDriver).toBe(runtime.CgroupDriver.CGROUPFS);
  });
});

describe('container lifecycle', () => {
  it('runs sandbox → create → start → RUNNING → exit → EXITED with exit code and reason', async () => {
    const sandboxId = await cri.sandbox('life', logs('life'));
    const sandbox = await cri.call('podSandboxStatus', { podSandboxId: sandboxId });
    expect(sandbox.status?.state).toBe(runtime.PodSandboxState.SANDBOX_READY);
    expect(sandbox.status?.network?.ip).not.toBe('');
    expect(sandbox.status?.linux?.namespaces?.options?.network).toBe(runtime.NamespaceMode.NODE);

    // It runs at least 0.3 s, and on until the test lets it end: a loaded machine may take
    // longer than that to answer the status call that must see it running.
    const gate = join(dir.path, 'fails-may-exit');
    const failing = await cri.container(sandboxId, 'fails', ['sh', '-c', 'read _ < /dev/null; sleep 0.3; until [ -e "$GATE" ]; do sleep 0.02; done; exit 3'], {
      envs: [
        { key: 'GREETING', value: 'hi' },
        { key: 'GATE', value: gate },
      ],
      labels: { app: 'life' },
      annotations: { note: 'x' },
    });
    const created = await cri.status(failing);
    expect(created.state).toBe(CONTAINER_CREATED);
    expect(created.createdAt).toBeGreaterThan(0n);
    expect(created.startedAt).toBe(0n);
    expect(created.labels).toEqual({ app: 'life' });
    expect(created.annotations).toEqual({ note: 'x' });
    expect(created.logPath).toBe(join(logs('life'), 'fails/0.log'));

    await cri.call('startContainer', { containerId: failing });
    const running = await cri.status(failing);
    expect(running.state).toBe(CONTAINER_RUNNING);
    expect(running.startedAt).toBeGreaterThanOrEqual(created.createdAt);

    await writeFile(gate, '');
    const exited = await cri.waitForState(failing, CONTAINER_EXITED);
    expect(exited.exitCode).toBe(3);
    expect(exited.reason).toBe('Error');
    expect(exited.finishedAt - exited.startedAt).toBeGreaterThanOrEqual(250_000_000n);

    const ok = await cri.container(sandboxId, 'ok', ['sh', '-c', 'test "$GREETING" = hi && test "$PWD" = /tmp'], {
      envs: [{ key: 'GREETING', value: 'hi' }],
      workingDir: '/tmp',
    });
    await cri.call('startContainer', { containerId: ok });
    const completed = await cri.waitForState(ok, CONTAINER_EXITED);
    expect([completed.exitCode, completed.reason]).toEqual([0, 'Completed']);

    // The agent's way: ImageStatus by name (present: the host root), then the container by image id.
    const { image } = await cri.image('imageStatus', { image: { image: 'registry.example/tools:1' } });
    expect(image).toMatchObject({ repoTags: ['registry.example/tools:1'], pinned: true });
    const byId = await cri.container(sandboxId, 'by-id', ['true'], { image: { image: image?.id ?? '', userSpecifiedImage: 'registry.example/tools:1' } });
    const byIdStatus = await cri.status(byId);
    expect([byIdStatus.image?.image, byIdStatus.imageRef, byIdStatus.imageId]).toEqual(['registry.example/tools:1', image?.id, image?.id]);
    expect((await cri.image('listImages', { filter: { image: { image: image?.id ?? '' } } })).images).toHaveLength(1);

    await cri.call('stopPodSandbox', { podSandboxId: sandboxId });
    expect((await cri.call('podSandboxStatus', { podSandboxId: sandboxId })).status?.state).toBe(runtime.PodSandboxState.SANDBOX_NOTREADY);
    await cri.call('removePodSandbox', { podSandboxId: sandboxId });
    await expectCode(cri.status(ok), grpcStatus.NOT_FOUND, /not found/);
    expect((await cri.call('listPodSandbox', { filter: { id: sandboxId } })).items).toEqual([]);
  });

  it('gives the command exactly its environment, including names a shell cannot hold', async () => {
    const sandboxId = await cri.sandbox('env', logs('env'));
    const envOf = async (name: string, envs: { key: string; value: string }[]) => {
      const id = await cri.container(sandboxId, name, ['/usr/bin/env'], { envs, workingDir: '/usr' });
      await cri.call('startContainer', { containerId: id });
      const status = await cri.waitForState(id, CONTAINER_EXITED);
      const lines = parseCriLog(await readLog(status.logPath)).map((r) => r.content);
      expect(lines.filter((l) => /^(HOSTNAME|PATH)=/.test(l))).toHaveLength(2);
      return lines.filter((l) => !/^(HOSTNAME|PATH)=/.test(l)).sort();
    };
    const plain = await envOf('plain', [{ key: 'GREETING', value: 'a b  c' }]);
    expect(plain).toEqual(['GREETING=a b  c']);
    const odd = await envOf('odd', [
      { key: 'app.port', value: '8080' },
      { key: 'PPID', value: 'mine' },
      { key: 'PWD', value: '/somewhere' },
    ]);
    expect(odd).toEqual(['PPID=mine', 'PWD=/somewhere', 'app.port=8080']);
    await cri.call('removePodSandbox', { podSandboxId: sandboxId });
  });

  it('writes stdout and stderr as CRI log records, splitting lines over 16 KiB into P then F', async () => {
    const sandboxId = await cri.sandbox('logs', logs('logs'));
    const id = await cri.container(sandboxId, 'talk', [
      'sh',
      '-c',
      'echo out1; echo err1 >&2; head -c 40000 /dev/zero | tr "\\0" x; echo; head -c 16384 /dev/zero | tr "\\0" y; echo; printf tail',
    ]);
    await cri.call('startContainer', { containerId: id });
    const status = await cri.waitForState(id, CONTAINER_EXITED);
    expect(status.exitCode).toBe(0);
    const records = parseCriLog(await readLog(status.logPath));
    for (const r of records) expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const stdout = records.filter((r) => r.stream === 'stdout').map((r) => [r.tag, r.content.length > 40 ? r.content.length : r.content]);
    expect(stdout).toEqual([
      ['F', 'out1'],
      ['P', 16384],
      ['P', 16384],
      ['F', 40000 - 2 * 16384],
      ['F', 16384],
      ['F', 'tail'],
    ]);
    expect(records.filter((r) => r.stream === 'stderr').map((r) => [r.tag, r.content])).toEqual([['F', 'err1']]);
    await cri.call('removePodSandbox', { podSandboxId: sandboxId });
  });

  it('reopens the log after the agent rotates it', async () => {
    const sandboxId = await cri.sandbox('rotate', logs('rotate'));
    const id = await cri.container(sandboxId, 'ticker', ['sh', '-c', 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.05; done']);
    await cri.call('startContainer', { containerId: id });
    const path = (await cri.status(id)).logPath;
    await eventually(async () => ((await readLog(path)).includes('tick 2') ? true : undefined), 'first ticks');
    await rename(path, `${path}.1`);
    await cri.call('reopenContainerLog', { containerId: id });
    await eventually(async () => ((await readLog(path)).includes('tick') ? true : undefined), 'ticks in the new file');
    const rotated = parseCriLog(await readLog(`${path}.1`));
    const fresh = parseCriLog(await readLog(path));
    const last = Number(rotated.at(-1)?.content.split(' ')[1]);
    const first = Number(fresh[0]?.content.split(' ')[1]);
    expect(first).toBeGreaterThan(last - 1);
    await cri.call('removePodSandbox', { podSandboxId: sandboxId });
    await expectCode(cri.call('reopenContainerLog', { containerId: id }), grpcStatus.NOT_FOUND);
  });
});

describe('StopContainer', () => {
  it('sends SIGTERM, then SIGKILL after the timeout to a process that ignores SIGTERM', async () => {
    const sandboxId = await cri.sandbox('stop', logs('stop'));
    const stubborn = await cri.container(sandboxId, 'stubborn', ['sh', '-c', 'trap "echo got TERM" TERM; echo ready; while :; do sleep 0.05; done']);
    await cri.call('startContainer', { containerId: stubborn });
    const path = (await cri.status(stubborn)).logPath;
    await eventually(async () => ((await readLog(path)).includes('ready') ? true : undefined), 'ready');
    const started = Date.now();
    await cri.call('stopContainer', { containerId: stubborn, timeout: 1n });
    const elapsed = Date.now() - started;
    // At least the grace period. The upper bound only rules out waiting for something else
    // (the process never ends by itself): a loaded machine may take seconds to kill and reap.
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(15_000);
    const status = await cri.status(stubborn);
    expect([status.state, status.exitCode, status.reason]).toEqual([CONTAINER_EXITED, 137, 'Error']);
    expect(await readLog(path)).toContain('got TERM');

    const polite = await cri.container(sandboxId, 'polite', ['sleep', '100']);
    await cri.call('startContainer', { containerId: polite });
    const t0 = Date.now();
    await cri.call('stopContainer', { containerId: polite, timeout: 30n });
    // Well under the 30 s timeout: it ended on SIGTERM, nobody waited for the timeout.
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect((await cri.status(polite)).exitCode).toBe(143);

    const killed = await cri.container(sandboxId, 'killed', ['sh', '-c', 'trap "" TERM; sleep 100']);
    await cri.call('startContainer', { containerId: killed });
    const t1 = Date.now();
    await cri.call('stopContainer', { containerId: killed, timeout: 0n });
    // No grace period at all: it ignores SIGTERM, so only an immediate SIGKILL ends it this soon.
    expect(Date.now() - t1).toBeLessThan(5000);
    expect((await cri.status(killed)).exitCode).toBe(137);
    // Idempotent once stopped.
    await cri.call('stopContainer', { containerId: killed, timeout: 0n });
    await cri.call('removePodSandbox', { podSandboxId: sandboxId });
  });
});

describe('ExecSync', () => {
  it('runs a command in the container context and returns output and exit code', async () => {
    const sandboxId = await cri.sandbox('exec', logs('exec'));
    const id = await cri.container(sandboxId, 'app', ['sleep', '100'], { envs: [{ key: 'MODE', value: 'exec-test' }], workingDir: '/tmp' });
    await cri.call('startContainer', { containerId: id });
    const result = await cri.call('execSync', { containerId: id, cmd: ['sh', '-c', 'echo "$MODE in $PWD"; echo oops >&2; exit 7'], timeout: 10n });
    expect(Buffer.from(result.stdout).toString()).toBe('exec-test in /tmp\n');
    expect(Buffer.from(result.stderr).toString()).toBe('oops\n');
    expect(result.exitCode).toBe(7);

    const started = Date.now();
    await expectCode(cri.call('execSync', { containerId: id, cmd: ['sleep', '30'], timeout: 1n }), grpcStatus.DEADLINE_EXCEEDED, /timed out after 1s/);
    // Ended at the deadline, not when the command would have (30 s); a loaded machine may take a few seconds.
    expect(Date.now() - started).toBeLessThan(15_000);

    const missing = await cri.call('execSync', { containerId: id, cmd: ['no-such-command-here'], timeout: 5n });
    expect(missing.exitCode).toBe(127);

    await cri.call('stopContainer', { containerId: id, timeout: 0n });
    await expectCode(cri.call('execSync', { containerId: id, cmd: ['true'] }), grpcStatus.FAILED_PRECONDITION, /not running/);
    await cri.call('removePodSandbox', { podSandboxId: sandboxId });
  });
});

describe('GetContainerEvents', () => {
  it('streams created, started, stopped and deleted events with sandbox and container statuses', async () => {
    const events: runtime.ContainerEventResponse[] = [];
    const stream = cri.runtime.getContainerEvents(runtime.GetEventsRequest.fromPartial({}));
    stream.on('data', (e: runtime.ContainerEventResponse) => events.push(e));
    stream.on('error', () => undefined);
    // Nothing tells the client when the runtime has subscribed it; an event arriving does.
    // Until one does, make changes nobody else looks at: after it, every event is streamed.
    let probes = 0;
    await eventually(async () => {
      if (events.length > 0) return true;
      const probe = await cri.sandbox(`events-probe-${probes++}`, logs('events-probe'));
      await cri.call('removePodSandbox', { podSandboxId: probe });
      return undefined;
    }, 'the event stream to deliver an event');

    const sandboxId = await cri.sandbox('events', logs('events'));
    const id = await cri.container(sandboxId, 'short', ['true']);
    await cri.call('startContainer', { containerId: id });
    await cri.waitForState(id, CONTAINER_EXITED);
    await cri.call('removeContainer', { containerId: id });
    await cri.call('removePodSandbox', { podSandboxId: sandboxId });

    const T = runtime.ContainerEventType;
    const mine = await eventually(() => {
      const list = events.filter((e) => e.containerId === id);
      return list.length >= 4 ? list : undefined;
    }, 'four container events');
    expect(mine.map((e) => e.containerEventType)).toEqual([T.CONTAINER_CREATED_EVENT, T.CONTAINER_STARTED_EVENT, T.CONTAINER_STOPPED_EVENT, T.CONTAINER_DELETED_EVENT]);
    expect(mine[0]?.podSandboxStatus?.id).toBe(sandboxId);
    expect(mine[1]?.containersStatuses.find((s) => s.id === id)?.state).toBe(CONTAINER_RUNNING);
    const stopped = mine[2]?.containersStatuses.find((s) => s.id === id);
    expect([stopped?.state, stopped?.exitCode, stopped?.reason]).toEqual([CONTAINER_EXITED, 0, 'Completed']);
    const sandboxEvents = await eventually(() => {
      const list = events.filter((e) => e.containerId === sandboxId);
      return list.length >= 3 ? list : undefined;
    }, 'sandbox events');
    expect(sandboxEvents.map((e) => e.containerEventType)).toEqual([T.CONTAINER_CREATED_EVENT, T.CONTAINER_STARTED_EVENT, T.CONTAINER_DELETED_EVENT]);
    stream.cancel();
  });
});

describe('bad requests', () => {
  it('get clear gRPC errors and leave the runtime serving', async () => {
    await expectCode(cri.call('runPodSandbox', { config: {} }), grpcStatus.INVALID_ARGUMENT, /metadata/);
    await expectCode(
      cri.call('runPodSandbox', { config: { metadata: { name: 'x', namespace: 'n', uid: 'u' } }, runtimeHandler: 'kata' }),
      grpcStatus.INVALID_ARGUMENT,
      /runtime handler "kata"/,
    );
    const sandboxId = await cri.sandbox('bad', logs('bad'));
    await expectCode(cri.sandbox('bad', logs('bad')), grpcStatus.ALREADY_EXISTS, /k8s_POD_bad_test_uid-bad_0.*reserved/);
    await expectCode(cri.call('createContainer', { podSandboxId: sandboxId, config: { image: { image: 'busybox' } } }), grpcStatus.INVALID_ARGUMENT, /metadata/);
    await expectCode(cri.call('createContainer', { podSandboxId: sandboxId, config: { metadata: { name: 'c' } } }), grpcStatus.INVALID_ARGUMENT, /image/);
    await expectCode(cri.container('no-such-sandbox', 'c', ['true']), grpcStatus.NOT_FOUND, /pod sandbox "no-such-sandbox" not found/);
    await expectCode(cri.container(sandboxId, 'nocmd', []), grpcStatus.INVALID_ARGUMENT, /no command specified/);
    await expectCode(cri.container(sandboxId, 'badimg', ['true'], { image: { image: 'Not A Ref' } }), grpcStatus.INVALID_ARGUMENT, /image reference/);
    await expectCode(cri.container(sandboxId, 'badcpu', ['true'], { linux: { resources: { cpusetCpus: '3-1' } } }), grpcStatus.INVALID_ARGUMENT, /cpuset/);
    await expectCode(cri.container(sandboxId, 'badlog', ['true'], { logPath: '../../escape.log' }), grpcStatus.INVALID_ARGUMENT, /leaves the sandbox log_directory/);

    const first = await cri.container(sandboxId, 'dup', ['true']);
    await expectCode(cri.container(sandboxId, 'dup', ['true']), grpcStatus.ALREADY_EXISTS, /reserved for/);
    await cri.call('removeContainer', { containerId: first });
    await cri.call('removeContainer', { containerId: (await cri.container(sandboxId, 'dup', ['true'])) });

    const missing = await cri.container(sandboxId, 'missing', ['/no/such/binary']);
    await expectCode(cri.call('startContainer', { containerId: missing }), grpcStatus.FAILED_PRECONDITION, /no such executable/);
    const failed = await cri.status(missing);
    expect([failed.state, failed.exitCode, failed.reason]).toEqual([CONTAINER_EXITED, 128, 'StartError']);
    await expectCode(cri.call('startContainer', { containerId: missing }), grpcStatus.FAILED_PRECONDITION, /only a created container/);
    const notOnPath = await cri.container(sandboxId, 'notonpath', ['no-such-command-xyz']);
    await expectCode(cri.call('startContainer', { containerId: notOnPath }), grpcStatus.FAILED_PRECONDITION, /executable file not found in \$PATH/);

    await expectCode(cri.call('containerStatus', { containerId: 'nope' }), grpcStatus.NOT_FOUND, /container "nope" not found/);
    await expectCode(cri.call('containerStatus', {}), grpcStatus.INVALID_ARGUMENT, /container_id is required/);
    await expectCode(cri.call('podSandboxStatus', { podSandboxId: 'nope' }), grpcStatus.NOT_FOUND);
    await expectCode(cri.call('startContainer', { containerId: 'nope' }), grpcStatus.NOT_FOUND);
    await expectCode(cri.call('updateContainerResources', { containerId: 'nope', linux: {} }), grpcStatus.NOT_FOUND);
    await expectCode(cri.call('exec', { containerId: missing, cmd: ['sh'] }), grpcStatus.UNIMPLEMENTED, /ExecSync/);
    await expectCode(cri.call('attach', { containerId: missing }), grpcStatus.UNIMPLEMENTED);
    await expectCode(cri.call('portForward', { podSandboxId: sandboxId }), grpcStatus.UNIMPLEMENTED);
    await expectCode(cri.call('checkpointContainer', { containerId: missing }), grpcStatus.UNIMPLEMENTED, /CheckpointContainer is not implemented/);
    // Idempotent on unknown ids, as CRI requires.
    await cri.call('stopPodSandbox', { podSandboxId: 'gone' });
    await cri.call('removePodSandbox', { podSandboxId: 'gone' });
    await cri.call('removeContainer', { containerId: 'gone' });

    await cri.call('removePodSandbox', { podSandboxId: sandboxId });
    expect((await cri.call('version')).runtimeName).toBe('kernelet-embedded');
  });
});

describe('listing', () => {
  it('filters sandboxes and containers by id, state, sandbox and labels', async () => {
    const a = await cri.sandbox('list-a', logs('list-a'), { labels: { tier: 'web', team: 'a' } });
    const b = await cri.sandbox('list-b', logs('list-b'), { labels: { tier: 'db' } });
    await cri.call('stopPodSandbox', { podSandboxId: b });
    const ids = (items: { id: string }[]) => items.map((i) => i.id).sort();
    const ready = runtime.PodSandboxState.SANDBOX_READY;
    expect(ids((await cri.call('listPodSandbox', { filter: { labelSelector: { tier: 'web' } } })).items)).toEqual([a]);
    expect(ids((await cri.call('listPodSandbox', { filter: { id: b.slice(0, 12) } })).items)).toEqual([b]);
    const readyIds = ids((await cri.call('listPodSandbox', { filter: { state: { state: ready } } })).items);
    expect(readyIds).toContain(a);
    expect(readyIds).not.toContain(b);

    const running = await cri.container(a, 'run', ['sleep', '100'], { labels: { role: 'main' } });
    const created = await cri.container(a, 'idle', ['true'], { labels: { role: 'side' } });
    await cri.call('startContainer', { containerId: running });
    const list = async (filter: Parameters<CriClient['call']>[1]) => ids((await cri.call('listContainers', { filter } as never)).containers);
    expect(await list({ podSandboxId: a })).toEqual([running, created].sort());
    expect(await list({ podSandboxId: a, state: { state: CONTAINER_RUNNING } })).toEqual([running]);
    expect(await list({ podSandboxId: a, state: { state: CONTAINER_CREATED } })).toEqual([created]);
    expect(await list({ labelSelector: { role: 'side' } })).toEqual([created]);
    expect(await list({ id: running.slice(0, 16) })).toEqual([running]);
    expect(await list({ podSandboxId: b })).toEqual([]);
    const stream = cri.runtime.streamContainers(runtime.StreamContainersRequest.fromPartial({ filter: { podSandboxId: a } }));
    const streamed = await new Promise<string[]>((resolve, reject) => {
      const seen: string[] = [];
      stream.on('data', (r: runtime.StreamContainersResponse) => seen.push(...r.containers.map((c) => c.id)));
      stream.on('end', () => resolve(seen.sort()));
      stream.on('error', reject);
    });
    expect(streamed).toEqual([running, created].sort());

    const stats = await cri.call('listContainerStats', { filter: { podSandboxId: a } });
    expect(stats.stats.map((s) => s.attributes?.id).sort()).toEqual([running, created].sort());
    const sandboxStats = await cri.call('podSandboxStats', { podSandboxId: a });
    expect(sandboxStats.stats?.linux?.containers.length).toBe(2);

    await cri.call('removePodSandbox', { podSandboxId: a });
    await cri.call('removePodSandbox', { podSandboxId: b });
    expect(await list({ podSandboxId: a })).toEqual([]);
  });
});
