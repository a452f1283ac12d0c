import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_SEEN_ANNOTATION, CONFIG_SOURCE_ANNOTATION, servePlugin, type Pod } from '@kernelet/sdk';
import { makeTempRootDir, registerWithFakeAgent, type TempRootDir } from '@kernelet/sdk/testing';
import { fileSourcePlugin } from './plugin.js';

const IMAGE = 'localhost/kernelet-test/busybox:v1';

function manifest(name: string, command = 'sleep 3600'): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
    - name: main
      image: ${IMAGE}
      command: [sh, -c, "${command}"]
`;
}

type LogLine = Record<string, unknown> & { msg: string };

interface Harness {
  dir: string;
  /** Every SET the plugin streamed, in order. */
  sets: Pod[][];
  logs: LogLine[];
  /** Waits for the next SET, not yet looked at, that satisfies the test. */
  nextSet(test: (pods: Pod[]) => boolean, timeoutMs?: number): Promise<Pod[]>;
  waitForLog(test: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Serves the plugin on a real socket and plays the agent: Configure with the given kubelet config, then WatchPods. */
async function startFileSource(kubelet: (dir: string) => Record<string, unknown>, setup?: (dir: string) => Promise<void>): Promise<Harness> {
  const root: TempRootDir = await makeTempRootDir('kfs-');
  cleanups.push(() => root.remove());
  const dir = join(root.path, 'manifests');
  await setup?.(dir);
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as LogLine) });
  const served = await servePlugin(fileSourcePlugin, { socketPath: join(root.path, 'file-source.sock'), handleSignals: false, logger });
  cleanups.push(() => served.close());
  const session = await registerWithFakeAgent(served.socketPath, { configure: { kubeletConfigJson: JSON.stringify(kubelet(dir)), nodeName: 'node-a' } });
  cleanups.push(() => session.close());
  const sets: Pod[][] = [];
  const stop = session.watchPods((op, pods) => {
    if (op === 'SET') sets.push(pods);
  });
  cleanups.push(stop);
  let consumed = 0;
  return {
    dir,
    sets,
    logs,
    async nextSet(test, timeoutMs = 10_000) {
      return until(
        () => {
          while (consumed < sets.length) {
            const pods = sets[consumed++] as Pod[];
            if (test(pods)) return pods;
          }
          return undefined;
        },
        timeoutMs,
        'a matching SET',
      );
    },
    waitForLog(test, timeoutMs = 10_000) {
      return until(() => logs.find(test), timeoutMs, 'a matching log line');
    },
  };
}

const names = (pods: Pod[]) => pods.map((p) => p.metadata?.name).sort();
const withDir = (extra: Record<string, unknown> = {}) => (dir: string) => ({ staticPodPath: dir, ...extra });
const makeDir = (dir: string) => mkdir(dir, { recursive: true }).then(() => undefined);

describe('the file source', () => {
  it('reports an empty set at once, then each added, edited and deleted manifest', async () => {
    const h = await startFileSource(withDir(), makeDir);
    await h.nextSet((pods) => pods.length === 0);

    await writeFile(join(h.dir, 'web.yaml'), manifest('web'));
    const [added] = await h.nextSet((pods) => pods.length === 1);
    expect(added?.metadata?.name).toBe('web-node-a');
    expect(added?.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION]).toBe('file');
    expect(added?.spec?.tolerations).toEqual([{ operator: 'Exists', effect: 'NoExecute' }]);

    await writeFile(join(h.dir, 'web.yaml'), manifest('web', 'sleep 60'));
    const [edited] = await h.nextSet((pods) => pods.length === 1 && pods[0]?.metadata?.uid !== added?.metadata?.uid);
    expect(edited?.metadata?.name).toBe('web-node-a');
    expect(edited?.spec?.containers[0]?.command).toEqual(['sh', '-c', 'sleep 60']);

    await rm(join(h.dir, 'web.yaml'));
    await h.nextSet((pods) => pods.length === 0);
  });

  it('reads every document of a multi-document file and skips dotfiles and subdirectories', async () => {
    const h = await startFileSource(withDir(), async (dir) => {
      await mkdir(join(dir, 'nested'), { recursive: true });
      await writeFile(join(dir, 'pair.yaml'), `${manifest('a')}---\n${manifest('b')}`);
      await writeFile(join(dir, '.hidden.yaml'), manifest('hidden'));
      await writeFile(join(dir, 'nested', 'deep.yaml'), manifest('deep'));
    });
    expect(names(await h.nextSet(() => true))).toEqual(['a-node-a', 'b-node-a']);
    await h.waitForLog((l) => l.msg === 'not descending into a directory under the static pod path' && l['file'] === join(h.dir, 'nested'));
  });

  it('refuses a bad file, naming it and the problem, and keeps the other files pods', async () => {
    const h = await startFileSource(withDir(), async (dir) => {
      await makeDir(dir);
      await writeFile(join(dir, 'good.yaml'), manifest('good'));
      await writeFile(join(dir, 'deployment.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n');
      await writeFile(join(dir, 'noimage.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: noimage}\nspec: {containers: [{name: c}]}\n');
      await writeFile(join(dir, 'bomb.yaml'), `a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`);
      await writeFile(join(dir, 'huge.yaml'), `# ${'x'.repeat(11 * 1024 * 1024)}\n${manifest('huge')}`);
    });
    expect(names(await h.nextSet(() => true))).toEqual(['good-node-a']);
    const refused = (file: string) => h.logs.find((l) => l.msg === 'static pod manifest refused' && l['file'] === join(h.dir, file));
    expect(refused('deployment.yaml')).toMatchObject({ reason: 'NotAPod', err: expect.stringContaining('kind is "Deployment"') });
    expect(refused('noimage.yaml')).toMatchObject({ reason: 'InvalidPod', pod: 'noimage', err: expect.stringContaining('spec.containers[0].image: required') });
    expect(refused('bomb.yaml')).toMatchObject({ reason: 'MalformedManifest', err: expect.stringContaining('YAML aliases') });
    expect(refused('huge.yaml')).toMatchObject({ reason: 'MalformedManifest', err: expect.stringContaining('10 MiB') });
  });

  it('keeps the first of two files defining the same pod and logs both files', async () => {
    const h = await startFileSource(withDir(), async (dir) => {
      await makeDir(dir);
      await writeFile(join(dir, 'a.yaml'), manifest('web', 'echo a'));
      await writeFile(join(dir, 'b.yaml'), manifest('web', 'echo b'));
    });
    const pods = await h.nextSet(() => true);
    expect(pods).toHaveLength(1);
    expect(pods[0]?.spec?.containers[0]?.command).toEqual(['sh', '-c', 'echo a']);
    const line = await h.waitForLog((l) => l.msg === 'duplicate static pod ignored');
    expect(line).toMatchObject({ file: join(h.dir, 'b.yaml'), keptFrom: join(h.dir, 'a.yaml'), pod: 'default/web-node-a' });
  });

  // Two tests, not one with a short fileCheckFrequency: however short the wait between the
  // watch's listing and the check, a loaded machine could fit a periodic listing into it.
  it('keeps a pod whose file turns invalid when the watch reports it, as upstream', async () => {
    // No periodic listing within the test: only the watch sees the change.
    const h = await startFileSource(withDir({ fileCheckFrequency: '1h' }), async (dir) => {
      await makeDir(dir);
      await writeFile(join(dir, 'web.yaml'), manifest('web'));
    });
    await h.nextSet((pods) => pods.length === 1);
    await writeFile(join(h.dir, 'web.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: web\n');
    await h.waitForLog((l) => l.msg === 'static pod manifest refused' && l['file'] === join(h.dir, 'web.yaml'));
    expect(h.logs.some((l) => l.msg === 'keeping the pods of the previous version of the manifest until the next periodic listing')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.sets.at(-1)?.map((p) => p.metadata?.name)).toEqual(['web-node-a']);
  });

  it('drops that pod at the next periodic listing, as upstream', async () => {
    const h = await startFileSource(withDir({ fileCheckFrequency: '200ms' }), async (dir) => {
      await makeDir(dir);
      await writeFile(join(dir, 'web.yaml'), manifest('web'));
    });
    await h.nextSet((pods) => pods.length === 1);
    await writeFile(join(h.dir, 'web.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: web\n');
    await h.nextSet((pods) => pods.length === 0);
  });

  it('finds a directory that appears later by listing it every fileCheckFrequency', async () => {
    const h = await startFileSource(withDir({ fileCheckFrequency: '200ms' }));
    await h.nextSet((pods) => pods.length === 0);
    await h.waitForLog((l) => l.msg === 'static pod path does not exist; no static pods from files until it does' && l['path'] === h.dir);
    // No watch can be set on a directory that does not exist: only the listing can find this.
    await makeDir(h.dir);
    await writeFile(join(h.dir, 'late.yaml'), manifest('late'));
    expect(names(await h.nextSet((pods) => pods.length === 1))).toEqual(['late-node-a']);
    // And from then on the directory is watched too.
    await writeFile(join(h.dir, 'later.yaml'), manifest('later'));
    expect(names(await h.nextSet((pods) => pods.length === 2))).toEqual(['late-node-a', 'later-node-a']);
  });

  it('does not find that directory without the periodic listing (a long fileCheckFrequency)', async () => {
    const h = await startFileSource(withDir({ fileCheckFrequency: '1h' }));
    await h.nextSet((pods) => pods.length === 0);
    await makeDir(h.dir);
    await writeFile(join(h.dir, 'late.yaml'), manifest('late'));
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(h.sets.at(-1)).toEqual([]);
  });

  it('reads a single file, following a replace-by-rename as editors do, and keeps its pods while it is invalid', async () => {
    const h = await startFileSource(
      (dir) => ({ staticPodPath: join(dir, 'web.yaml'), fileCheckFrequency: '200ms' }),
      async (dir) => {
        await makeDir(dir);
        await writeFile(join(dir, 'web.yaml'), manifest('web'));
        await writeFile(join(dir, 'other.yaml'), manifest('other'));
      },
    );
    const [first] = await h.nextSet(() => true);
    expect(first?.metadata?.name).toBe('web-node-a');
    await writeFile(join(h.dir, '.web.yaml.tmp'), manifest('web', 'sleep 5'));
    await rename(join(h.dir, '.web.yaml.tmp'), join(h.dir, 'web.yaml'));
    const [replaced] = await h.nextSet((pods) => pods[0]?.metadata?.uid !== first?.metadata?.uid);
    expect(replaced?.spec?.containers[0]?.command).toEqual(['sh', '-c', 'sleep 5']);

    // Unlike a file in a directory, the one file keeps its pods while it is invalid, as upstream.
    await writeFile(join(h.dir, 'web.yaml'), 'kind: Pod\n');
    await h.waitForLog((l) => l.msg === 'keeping the pods of the previous version of the manifest until it is valid again');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(h.sets.at(-1)?.[0]?.metadata?.uid).toBe(replaced?.metadata?.uid);
  });

  it('keeps the first-seen time of an unchanged pod and sends no SET when nothing changed', async () => {
    const h = await startFileSource(withDir({ fileCheckFrequency: '100ms' }), async (dir) => {
      await makeDir(dir);
      await writeFile(join(dir, 'a.yaml'), manifest('a'));
    });
    const [a] = await h.nextSet(() => true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(h.sets).toHaveLength(1);
    await writeFile(join(h.dir, 'b.yaml'), manifest('b'));
    const both = await h.nextSet((pods) => pods.length === 2);
    const again = both.find((p) => p.metadata?.name === 'a-node-a');
    expect(again?.metadata?.uid).toBe(a?.metadata?.uid);
    expect(again?.metadata?.annotations?.[CONFIG_SEEN_ANNOTATION]).toBe(a?.metadata?.annotations?.[CONFIG_SEEN_ANNOTATION]);
  });

  it('follows symlinked manifests and reports a missing path as an empty set', async () => {
    const h = await startFileSource(withDir({ fileCheckFrequency: '200ms' }), async (dir) => {
      await makeDir(dir);
      await writeFile(join(dir, '..', 'real.yaml'), manifest('linked'));
      await symlink(join(dir, '..', 'real.yaml'), join(dir, 'linked.yaml'));
    });
    expect(names(await h.nextSet(() => true))).toEqual(['linked-node-a']);
    await rm(h.dir, { recursive: true });
    await h.nextSet((pods) => pods.length === 0);
  });

  it('reports no pods when staticPodPath is not set', async () => {
    const h = await startFileSource(() => ({}));
    expect(await h.nextSet(() => true)).toEqual([]);
    await h.waitForLog((l) => l.msg === 'staticPodPath is not set; no static pods from files');
  });
});
