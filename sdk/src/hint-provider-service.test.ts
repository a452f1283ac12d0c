import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { v1alpha1 } from '@kernelet/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { maskIds, maskOf, podToWire, type Pod } from './common/index.js';
import { definePlugin } from './define-plugin.js';
import { createPluginLogger } from './logger.js';
import { servePlugin, type ServedPlugin } from './serve-plugin.js';
import { registerWithFakeAgent, type FakeAgentSession } from './testing/fake-agent.js';

let base: string;
let served: ServedPlugin;
let session: FakeAgentSession;
let client: grpc.Client;
const removed: string[] = [];
let releaseSlow: () => void = () => undefined;

const pod = (uid: string, containers: string[]): Pod => ({
  metadata: { name: uid, namespace: 'default', uid },
  spec: { containers: containers.map((name) => ({ name, image: 'x' })) },
});

const provider = definePlugin({
  name: 'calls-test',
  hintProvider: {
    getTopologyHints: (p, containerName) =>
      new Map([['cpu', containerName === 'any' ? null : [{ numaAffinity: maskOf([(p.metadata?.name?.length ?? 0) % 2]), preferred: true }]]]),
    getPodTopologyHints: (p) => new Map([['memory', [{ numaAffinity: maskOf([0, 1]), preferred: p.spec?.containers.length === 1 }]]]),
    allocate: async (p, containerName, hint) => {
      if (containerName === 'boom') throw new Error('allocation exploded');
      if (containerName === 'slow') await new Promise<void>((resolve) => (releaseSlow = resolve));
      if (containerName === 'full') return { ok: false, reason: 'OutOfcpu', message: 'no CPUs left' };
      return { ok: true, allocation: { podUID: p.metadata?.uid ?? '', containerName, cpusetCpus: hint.numaAffinity === null ? '' : maskIds(hint.numaAffinity).join(',') } };
    },
    removeContainer: (podUID, containerName) => {
      removed.push(`${podUID}/${containerName}`);
    },
    listAllocations: () => ({ allocations: [], shared: null }),
  },
});

function unary<Req, Res>(method: grpc.MethodDefinition<Req, Res>, request: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new grpc.Metadata(), {}, (error, response) =>
      error || response === undefined ? reject(error ?? new Error('empty')) : resolve(response),
    ),
  );
}

function openCalls(): grpc.ClientDuplexStream<v1alpha1.HintProviderCall, v1alpha1.HintProviderResult> {
  const method = v1alpha1.HintProviderService.calls;
  const stream = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, new grpc.Metadata(), {});
  stream.on('error', () => undefined);
  return stream;
}

function nextResult(stream: grpc.ClientDuplexStream<v1alpha1.HintProviderCall, v1alpha1.HintProviderResult>): Promise<v1alpha1.HintProviderResult> {
  return new Promise((resolve) => stream.once('data', resolve));
}

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'calls-'));
  removed.length = 0;
  const socketPath = join(base, 'calls-test.sock');
  served = await servePlugin(provider, { socketPath, handleSignals: false, logger: createPluginLogger('calls-test', 'silent') });
  session = await registerWithFakeAgent(socketPath);
  client = new grpc.Client(`unix://${socketPath}`, grpc.credentials.createInsecure());
});

afterEach(async () => {
  releaseSlow();
  client.close();
  session.close();
  await served.close();
  await rm(base, { recursive: true, force: true });
});

describe('the HintProvider Calls stream', () => {
  it('answers every admission call as its unary rpc answers it', async () => {
    const p = pod('abc', ['main']);
    expect(await session.getTopologyHints(p, 'main')).toEqual(new Map([['cpu', [{ numaAffinity: maskOf([1]), preferred: true }]]]));
    expect(await session.getTopologyHints(p, 'any')).toEqual(new Map([['cpu', null]]));
    expect(await session.getPodTopologyHints(p)).toEqual(new Map([['memory', [{ numaAffinity: maskOf([0, 1]), preferred: true }]]]));
    expect(await session.allocate(p, 'main', { numaAffinity: maskOf([1]), preferred: true })).toEqual({
      ok: true,
      allocation: { podUID: 'abc', containerName: 'main', cpusetCpus: '1' },
    });
    expect(await session.allocate(p, 'full', { numaAffinity: null, preferred: true })).toEqual({ ok: false, reason: 'OutOfcpu', message: 'no CPUs left' });
    await session.removeContainer('abc', 'main');
    expect(removed).toEqual(['abc/main']);

    // The same calls as unary rpcs give the same messages.
    const stream = openCalls();
    const viaStream = nextResult(stream);
    stream.write({ id: 7, getTopologyHints: { pod: podToWire(p), containerName: 'main' } });
    expect(await viaStream).toEqual({ id: 7, hints: await unary(v1alpha1.HintProviderService.getTopologyHints, { pod: podToWire(p), containerName: 'main' }) });
    const allocated = nextResult(stream);
    const request = { pod: podToWire(p), containerName: 'full', hint: { numaAffinity: undefined, preferred: true } };
    stream.write({ id: 8, allocate: request });
    expect(await allocated).toEqual({ id: 8, allocate: await unary(v1alpha1.HintProviderService.allocate, request) });
    stream.end();
  });

  it('packs its hints only for an agent that says it reads them', async () => {
    const request = { pod: podToWire(pod('abc', ['main'])), containerName: 'main' };
    const packed = await unary(v1alpha1.HintProviderService.getTopologyHints, request);
    expect(packed.hints['cpu']).toEqual({ hints: [], noPreference: false, packed: [2, 1] });
    const older = await registerWithFakeAgent(served.socketPath, { configure: { readsPackedHints: false } });
    try {
      const plain = await unary(v1alpha1.HintProviderService.getTopologyHints, request);
      expect(plain.hints['cpu']).toEqual({ hints: [{ numaAffinity: { nodes: [1] }, preferred: true }], noPreference: false, packed: [] });
    } finally {
      older.close();
    }
  });

  it('answers each call under its id as soon as it is done, whatever the order they came in', async () => {
    const p = pod('order', ['slow', 'main']);
    const slow = session.allocate(p, 'slow', { numaAffinity: maskOf([0]), preferred: true });
    // The slow allocation is still running; a later call is not held behind it.
    expect(await session.getTopologyHints(p, 'main')).toEqual(new Map([['cpu', [{ numaAffinity: maskOf([1]), preferred: true }]]]));
    releaseSlow();
    expect(await slow).toMatchObject({ ok: true, allocation: { containerName: 'slow', cpusetCpus: '0' } });
  });

  it('reports a failed call with the status code its unary rpc would fail with, and keeps serving', async () => {
    const stream = openCalls();
    const failed = nextResult(stream);
    stream.write({ id: 1, allocate: { pod: podToWire(pod('u', ['boom'])), containerName: 'boom', hint: { preferred: true } } });
    expect(await failed).toEqual({ id: 1, error: { code: grpc.status.INTERNAL, message: 'allocation exploded' } });

    const malformed = nextResult(stream);
    stream.write({ id: 2, getTopologyHints: { pod: { json: '{not json' }, containerName: 'main' } });
    expect(await malformed).toMatchObject({ id: 2, error: { code: grpc.status.INVALID_ARGUMENT } });

    const empty = nextResult(stream);
    stream.write({ id: 3 });
    expect(await empty).toMatchObject({ id: 3, error: { code: grpc.status.INVALID_ARGUMENT, message: 'the call names no method this provider knows' } });

    const fine = nextResult(stream);
    stream.write({ id: 4, removeContainer: { podUid: 'u', containerName: 'main' } });
    expect(await fine).toEqual({ id: 4, removeContainer: {} });
    stream.end();
  });

  it('ends its open Calls streams when the plugin stops, so the agent sees a clean end', async () => {
    const stream = openCalls();
    const answered = nextResult(stream);
    stream.write({ id: 1, removeContainer: { podUid: 'u', containerName: 'main' } });
    await answered;
    const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    await served.close();
    // A stream still open at shutdown would be cut by the forced shutdown instead (not OK).
    expect((await status).code).toBe(grpc.status.OK);
  });
});
