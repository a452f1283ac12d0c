import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_HASH_ANNOTATION, CONFIG_SOURCE_ANNOTATION, servePlugin, type Pod } from '@kernelet/sdk';
import { makeTempRootDir, registerWithFakeAgent } from '@kernelet/sdk/testing';
import { httpSourcePlugin } from './plugin.js';
import { redactURL } from './settings.js';

const IMAGE = 'localhost/kernelet-test/busybox:v1';

function podManifest(name: string, command = 'sleep 3600'): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'main', image: IMAGE, command: ['sh', '-c', command] }] } };
}

const POD_YAML = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: main
      image: ${IMAGE}
`;

type Reply = (res: ServerResponse) => void;
type LogLine = Record<string, unknown> & { msg: string };

const text = (body: string, status = 200, type = 'application/yaml'): Reply => (res) => {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
};
const json = (value: unknown): Reply => text(JSON.stringify(value), 200, 'application/json');

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

/**
 * A local manifest server whose answer the test changes with `reply`, the plugin on a real
 * socket, and the agent's side played by the fake agent.
 */
async function startHttpSource(options: { kubelet?: Record<string, unknown>; plugin?: Record<string, unknown>; path?: string } = {}) {
  let reply: Reply = text('');
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    reply(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${options.path ?? '/pods'}`;

  const root = await makeTempRootDir('khs-');
  cleanups.push(() => root.remove());
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as LogLine) });
  const served = await servePlugin(httpSourcePlugin, { socketPath: join(root.path, 'http-source.sock'), handleSignals: false, logger });
  cleanups.push(() => served.close());

  const start = async (first: Reply) => {
    reply = first;
    const session = await registerWithFakeAgent(served.socketPath, {
      configure: {
        kubeletConfigJson: JSON.stringify({ staticPodURL: url, httpCheckFrequency: '100ms', ...options.kubelet }),
        pluginConfigJson: JSON.stringify(options.plugin ?? {}),
        nodeName: 'node-a',
      },
    });
    cleanups.push(() => session.close());
    cleanups.push(session.watchPods((op, pods) => op === 'SET' && sets.push(pods)));
  };
  const sets: Pod[][] = [];
  let consumed = 0;
  return {
    url,
    sets,
    logs,
    requests,
    start,
    serve(next: Reply) {
      reply = next;
    },
    /**
     * Waits until the plugin has asked n more times. It fetches one at a time, so by then it
     * has handled at least n - 1 more responses: a way to see that nothing changed over
     * several polls, however slow the machine.
     */
    async morePolls(n = 3): Promise<void> {
      const polls = requests.length;
      await until(() => (requests.length >= polls + n ? true : undefined), 10_000, `${n} more polls`);
    },
    nextSet(test: (pods: Pod[]) => boolean = () => true, timeoutMs = 10_000): Promise<Pod[]> {
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
    waitForLog(test: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
      return until(() => logs.find(test), timeoutMs, 'a matching log line');
    },
  };
}

const names = (pods: Pod[]) => pods.map((p) => p.metadata?.name).sort();
const refused = (l: LogLine) => l.msg === 'static pod manifest refused';
const cannotRead = (l: LogLine) => l.msg === 'cannot read static pods from the URL; keeping the pods it served last';

describe('the http source', () => {
  it('reports a single pod, with a URL-based UID that stays while the response does', async () => {
    const h = await startHttpSource();
    await h.start(text(POD_YAML));
    const [pod] = await h.nextSet();
    expect(pod?.metadata?.name).toBe('web-node-a');
    expect(pod?.metadata?.namespace).toBe('default');
    expect(pod?.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION]).toBe('http');
    expect(pod?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]).toBe(pod?.metadata?.uid);
    expect(pod?.spec?.tolerations).toBeUndefined();
    await h.morePolls();
    expect(h.sets).toHaveLength(1);

    h.serve(text(POD_YAML.replace(IMAGE, 'localhost/kernelet-test/busybox:v2')));
    const [changed] = await h.nextSet();
    expect(changed?.metadata?.name).toBe('web-node-a');
    expect(changed?.metadata?.uid).not.toBe(pod?.metadata?.uid);
  });

  it('reports the pods of a PodList', async () => {
    const h = await startHttpSource();
    await h.start(json({ apiVersion: 'v1', kind: 'PodList', items: [podManifest('a'), podManifest('b')] }));
    expect(names(await h.nextSet())).toEqual(['a-node-a', 'b-node-a']);
  });

  it('sends staticPodURLHeader with every request, repeated names in order', async () => {
    const h = await startHttpSource({ kubelet: { staticPodURLHeader: { 'X-Token': ['secret'], 'X-Multi': ['one', 'two'] } } });
    await h.start(text(POD_YAML));
    await h.nextSet();
    expect(h.requests[0]).toMatchObject({ 'x-token': 'secret', 'x-multi': 'one, two' });
  });

  it('refuses an HTML page and keeps the pods it served last', async () => {
    const h = await startHttpSource();
    await h.start(text(POD_YAML));
    await h.nextSet();
    h.serve(text('<!DOCTYPE html>\n<html><body>Welcome to nginx!</body></html>\n', 200, 'text/html'));
    const line = await h.waitForLog(refused);
    expect(line).toMatchObject({ url: h.url, reason: 'NotAPod', err: expect.stringContaining('HTML page') });
    await h.morePolls();
    expect(h.sets).toHaveLength(1);
    // Logged once, not at every poll of the same page.
    expect(h.logs.filter(refused)).toHaveLength(1);
  });

  it('keeps the pods it served last through a 404, and says when the URL reads again', async () => {
    const h = await startHttpSource();
    await h.start(text(POD_YAML));
    await h.nextSet();
    h.serve(text('not found', 404));
    expect(await h.waitForLog(cannotRead)).toMatchObject({ url: h.url, status: 404, err: 'the server answered 404 Not Found' });
    h.serve(text(POD_YAML));
    await h.waitForLog((l) => l.msg === 'reading static pods from the URL again');
    expect(h.sets).toHaveLength(1);
  });

  it('gives up on a request after requestTimeout, reporting nothing until a response comes', async () => {
    const h = await startHttpSource({ plugin: { requestTimeout: '300ms' } });
    await h.start(() => undefined); // never answers
    const line = await h.waitForLog(cannotRead);
    expect(line).toMatchObject({ url: h.url, deadlineMs: 300, err: 'no complete response within 300ms' });
    expect(h.sets).toHaveLength(0);
    h.serve(text(POD_YAML));
    expect(names(await h.nextSet())).toEqual(['web-node-a']);
  });

  it('times out a body that never ends', async () => {
    const h = await startHttpSource({ plugin: { requestTimeout: '300ms' } });
    await h.start((res) => {
      res.writeHead(200, { 'content-type': 'application/yaml' });
      res.write('apiVersion: v1\n');
    });
    expect(await h.waitForLog(cannotRead)).toMatchObject({ err: 'no complete response within 300ms' });
  });

  it('refuses a response over 10 MiB, streamed or declared', async () => {
    const h = await startHttpSource();
    await h.start(text(POD_YAML));
    await h.nextSet();
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    h.serve((res) => {
      res.writeHead(200, { 'content-type': 'application/yaml' });
      for (let i = 0; i < 11; i++) res.write(chunk);
      res.end();
    });
    expect(await h.waitForLog(cannotRead)).toMatchObject({ err: 'the response is larger than the 10 MiB a manifest may hold' });
    h.serve((res) => {
      res.writeHead(200, { 'content-length': String(11 * 1024 * 1024) });
      res.end(Buffer.alloc(11 * 1024 * 1024, 'x'));
    });
    expect(await h.waitForLog((l) => cannotRead(l) && l['contentLength'] === 11 * 1024 * 1024)).toBeDefined();
    expect(h.sets).toHaveLength(1);
  });

  it('refuses a whole list when one pod in it is invalid, as upstream', async () => {
    const h = await startHttpSource();
    await h.start(json({ apiVersion: 'v1', kind: 'PodList', items: [podManifest('a')] }));
    await h.nextSet();
    const bad = { ...podManifest('b'), spec: { containers: [{ name: 'main' }] } };
    h.serve(json({ apiVersion: 'v1', kind: 'PodList', items: [podManifest('a', 'echo changed'), bad] }));
    expect(await h.waitForLog(refused)).toMatchObject({ pod: 'b', reason: 'InvalidPod', err: expect.stringContaining('image: required') });
    await h.morePolls();
    expect(h.sets).toHaveLength(1);
  });

  it('reads an empty body as no pods', async () => {
    const h = await startHttpSource();
    await h.start(text(POD_YAML));
    await h.nextSet();
    h.serve(text(''));
    expect(await h.nextSet()).toEqual([]);
  });

  it('reports no pods when staticPodURL is not usable', async () => {
    const h = await startHttpSource({ kubelet: { staticPodURL: 'ftp://example.com/pods' } });
    await h.start(text(POD_YAML));
    expect(await h.nextSet()).toEqual([]);
    await h.waitForLog((l) => l.msg === 'staticPodURL is not an http or https URL; reading no static pods from a URL');
    expect(h.requests).toHaveLength(0);
  });
});

describe('redactURL', () => {
  it('keeps credentials out of logs', () => {
    expect(redactURL('https://user:pw@config.local/pods?x=1')).toBe('https://redacted@config.local/pods?x=1');
    expect(redactURL('http://config.local/pods')).toBe('http://config.local/pods');
  });
});
