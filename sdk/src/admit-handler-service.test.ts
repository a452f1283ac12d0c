import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { v1alpha1 } from '@kernelet/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podToWire, type Pod } from './common/index.js';
import { admit, definePlugin, reject } from './define-plugin.js';
import { createPluginLogger } from './logger.js';
import { servePlugin, type ServedPlugin } from './serve-plugin.js';
import { registerWithFakeAgent, type FakeAgentSession } from './testing/fake-agent.js';

let base: string;
let served: ServedPlugin;
let session: FakeAgentSession;
let client: grpc.Client;

const pod = (name: string, labels: Record<string, string> = {}): Pod => ({ metadata: { name, namespace: 'default', uid: name, labels }, spec: { containers: [] } });

const gate = definePlugin({
  name: 'gate',
  admitHandler: {
    admit: (p) => {
      if (p.metadata?.labels?.['explode']) throw new Error('admit exploded');
      return p.metadata?.labels?.['deny'] ? reject('GateClosed', `pod ${p.metadata.name} is denied`) : admit();
    },
  },
});

function unaryAdmit(request: v1alpha1.AdmitRequest): Promise<v1alpha1.AdmitResponse> {
  const method = v1alpha1.AdmitHandlerService.admit;
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new grpc.Metadata(), {}, (error, response) =>
      error || response === undefined ? reject(error ?? new Error('empty')) : resolve(response),
    ),
  );
}

function exchange(calls: v1alpha1.AdmitHandlerCall[]): Promise<v1alpha1.AdmitHandlerResult[]> {
  const method = v1alpha1.AdmitHandlerService.calls;
  const stream = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, new grpc.Metadata(), {});
  stream.on('error', () => undefined);
  const results: v1alpha1.AdmitHandlerResult[] = [];
  return new Promise((resolve) => {
    stream.on('data', (result: v1alpha1.AdmitHandlerResult) => {
      results.push(result);
      if (results.length === calls.length) {
        stream.end();
        resolve(results.sort((a, b) => a.id - b.id));
      }
    });
    for (const call of calls) stream.write(call);
  });
}

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'admit-calls-'));
  const socketPath = join(base, 'gate.sock');
  served = await servePlugin(gate, { socketPath, handleSignals: false, logger: createPluginLogger('gate', 'silent') });
  session = await registerWithFakeAgent(socketPath);
  client = new grpc.Client(`unix://${socketPath}`, grpc.credentials.createInsecure());
});

afterEach(async () => {
  client.close();
  session.close();
  await served.close();
  await rm(base, { recursive: true, force: true });
});

describe('the AdmitHandler Calls stream', () => {
  it('answers Admit as the unary rpc answers it', async () => {
    expect(await session.admit(pod('ok'))).toEqual({ admit: true });
    expect(await session.admit(pod('no', { deny: 'yes' }))).toEqual({ admit: false, reason: 'GateClosed', message: 'pod no is denied' });
    const requests = [pod('a'), pod('b', { deny: 'yes' })].map((p) => ({ pod: podToWire(p) }));
    expect(await exchange(requests.map((admit, i) => ({ id: i + 1, admit })))).toEqual([
      { id: 1, admit: await unaryAdmit(requests[0] as v1alpha1.AdmitRequest) },
      { id: 2, admit: await unaryAdmit(requests[1] as v1alpha1.AdmitRequest) },
    ]);
  });

  it('reports a failed Admit with the status code the unary rpc would fail with', async () => {
    expect(
      await exchange([
        { id: 1, admit: { pod: podToWire(pod('boom', { explode: 'yes' })) } },
        { id: 2, admit: { pod: { json: '[]' } } },
        { id: 3 },
      ]),
    ).toEqual([
      { id: 1, error: { code: grpc.status.INTERNAL, message: 'admit exploded' } },
      { id: 2, error: { code: grpc.status.INVALID_ARGUMENT, message: 'pod is not a JSON object' } },
      { id: 3, error: { code: grpc.status.INVALID_ARGUMENT, message: 'the call names no method this admit handler knows' } },
    ]);
  });
});
