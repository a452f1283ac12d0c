import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { v1alpha1 } from '@kernelet/proto';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentMetrics } from '../metrics/metrics.js';
import { CallStream, CallStreamUnsupportedError } from './call-stream.js';
import { PluginCallError, PluginConnection } from './plugin-connection.js';
import { RemoteAdmitHandler } from './remote-admit-handler.js';
import { RemoteHintProvider } from './remote-hint-provider.js';

type Stream = grpc.ServerDuplexStream<v1alpha1.HintProviderCall, v1alpha1.HintProviderResult>;

let dir: string;
let socket: string;
let server: grpc.Server;
let connection: PluginConnection;
let metrics: AgentMetrics;
let failures: PluginCallError[];
/** Every Calls stream the plugin double was opened, newest last. */
let streams: Stream[];
/** Calls the double received, in order, with the stream they came on. */
let received: { stream: Stream; call: v1alpha1.HintProviderCall }[];

/** A plugin double serving only the given methods of the HintProvider service (or of another one). */
async function serve(
  methods: Partial<Record<keyof typeof v1alpha1.HintProviderService | keyof typeof v1alpha1.AdmitHandlerService, grpc.UntypedHandleCall>>,
  service: grpc.ServiceDefinition = v1alpha1.HintProviderService,
): Promise<void> {
  server = new grpc.Server();
  const definition = Object.fromEntries(Object.keys(methods).map((m) => [m, service[m]]));
  server.addService(definition as grpc.ServiceDefinition, methods);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  connection = new PluginConnection('double', socket, {
    logger: pino({ level: 'silent' }),
    metrics,
    callTimeoutMs: 5000,
    onCallFailure: (error) => failures.push(error),
  });
}

/** A Calls handler that records each call and leaves answering to the test. */
function recordingCalls(stream: Stream): void {
  streams.push(stream);
  stream.on('data', (call: v1alpha1.HintProviderCall) => received.push({ stream, call }));
  stream.on('error', () => undefined);
}

function callStream(): CallStream<v1alpha1.HintProviderCall, v1alpha1.HintProviderResult> {
  return new CallStream(connection, v1alpha1.HintProviderService.calls);
}

async function waitForCalls(n: number): Promise<void> {
  await expect.poll(() => received.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(n);
}

async function counted(name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { labels: Record<string, unknown>; value: number; metricName?: string }[];
  return values
    .filter((v) => (v.metricName === undefined || v.metricName.endsWith('_count') || name.endsWith('_total')) && Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

const removeCall = (containerName: string) => ({ removeContainer: { podUid: 'pod', containerName } });
const removed = (result: v1alpha1.HintProviderResult) => result.removeContainer;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'call-stream-'));
  socket = join(dir, 'double.sock');
  metrics = new AgentMetrics(new Registry());
  failures = [];
  streams = [];
  received = [];
});

afterEach(async () => {
  connection.close();
  server.forceShutdown();
  await rm(dir, { recursive: true, force: true });
});

describe('CallStream', () => {
  it('carries calls on one stream and hands each result to the call with its id, in whatever order they come', async () => {
    await serve({ calls: recordingCalls });
    const calls = callStream();
    const first = calls.send('RemoveContainer', removeCall('a'), removed);
    const second = calls.send('GetTopologyHints', { getTopologyHints: { containerName: 'b' } }, (r) => r.hints);
    await waitForCalls(2);
    const [a, b] = received;
    expect(a?.call.removeContainer?.containerName).toBe('a');
    expect(a?.stream).toBe(b?.stream);
    b?.stream.write({ id: b.call.id, hints: { hints: { cpu: { hints: [], noPreference: true, packed: [] } } } });
    a?.stream.write({ id: a.call.id, removeContainer: {} });
    expect(await second).toEqual({ hints: { cpu: { hints: [], noPreference: true, packed: [] } } });
    expect(await first).toEqual({});
    expect(streams).toHaveLength(1);
    expect(await counted('kernelet_plugin_call_duration_seconds', { plugin: 'double', service: 'HintProvider', method: 'GetTopologyHints', code: 'OK' })).toBe(1);
    expect(await counted('kernelet_plugin_call_duration_seconds', { method: 'RemoveContainer', code: 'OK' })).toBe(1);
    expect(failures).toEqual([]);
  });

  it("fails a call with the plugin's status when its result carries an error, and reports it like a failed rpc", async () => {
    await serve({ calls: recordingCalls });
    const calls = callStream();
    const call = calls.send('Allocate', { allocate: { containerName: 'x' } }, (r) => r.allocate);
    await waitForCalls(1);
    received[0]?.stream.write({ id: received[0].call.id, error: { code: grpc.status.FAILED_PRECONDITION, message: 'not configured yet' } });
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginCallError);
    expect(error).toMatchObject({ plugin: 'double', method: 'HintProvider.Allocate', code: 'FAILED_PRECONDITION', detail: 'not configured yet' });
    expect(failures).toEqual([error]);
    expect(await counted('kernelet_plugin_call_failures_total', { method: 'Allocate', code: 'FAILED_PRECONDITION' })).toBe(1);
  });

  it('fails a call answered with the result of another call', async () => {
    await serve({ calls: recordingCalls });
    const call = callStream().send('Allocate', { allocate: { containerName: 'x' } }, (r) => r.allocate);
    await waitForCalls(1);
    received[0]?.stream.write({ id: received[0].call.id, removeContainer: {} });
    await expect(call).rejects.toMatchObject({ code: 'INTERNAL', detail: 'the plugin answered Allocate with a result of another call' });
  });

  it('fails a call the plugin does not answer in time, ignores its late result, and keeps the stream for the next call', async () => {
    await serve({ calls: recordingCalls });
    const calls = callStream();
    const late = calls.send('RemoveContainer', removeCall('late'), removed, 50);
    await expect(late).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED', method: 'HintProvider.RemoveContainer' });
    const next = calls.send('RemoveContainer', removeCall('next'), removed);
    await waitForCalls(2);
    const [lateCall, nextCall] = received;
    lateCall?.stream.write({ id: lateCall.call.id, removeContainer: {} });
    nextCall?.stream.write({ id: nextCall.call.id, removeContainer: {} });
    expect(await next).toEqual({});
    expect(streams).toHaveLength(1);
    expect(failures.map((f) => f.code)).toEqual(['DEADLINE_EXCEEDED']);
  });

  it('fails the calls in flight when the stream breaks, and opens a new one for the next call', async () => {
    await serve({ calls: recordingCalls });
    const calls = callStream();
    const inFlight = calls.send('RemoveContainer', removeCall('a'), removed);
    await waitForCalls(1);
    streams[0]?.emit('error', { code: grpc.status.INTERNAL, details: 'plugin handler crashed' });
    await expect(inFlight).rejects.toMatchObject({ code: 'INTERNAL', detail: 'plugin handler crashed' });
    const next = calls.send('RemoveContainer', removeCall('b'), removed);
    await waitForCalls(2);
    expect(received[1]?.stream).toBe(streams[1]);
    received[1]?.stream.write({ id: received[1].call.id, removeContainer: {} });
    expect(await next).toEqual({});
  });

  it('fails the calls in flight when the plugin ends the stream cleanly', async () => {
    await serve({ calls: recordingCalls });
    const inFlight = callStream().send('RemoveContainer', removeCall('a'), removed);
    await waitForCalls(1);
    streams[0]?.end();
    await expect(inFlight).rejects.toMatchObject({ code: 'UNAVAILABLE', detail: 'the plugin ended the call stream' });
  });

  it('cancels the stream when the connection closes: calls in flight fail and the plugin sees the cancellation', async () => {
    await serve({ calls: recordingCalls });
    const calls = callStream();
    const inFlight = calls.send('RemoveContainer', removeCall('a'), removed);
    await waitForCalls(1);
    const cancelled = new Promise<void>((resolve) => streams[0]?.on('cancelled', () => resolve()));
    connection.close();
    await expect(inFlight).rejects.toMatchObject({ code: 'CANCELLED' });
    await cancelled;
    await expect(calls.send('RemoveContainer', removeCall('b'), removed)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('tells the caller to use the unary rpcs when the plugin does not serve the stream, without counting a failure', async () => {
    await serve({ removeContainer: (_call: grpc.ServerUnaryCall<unknown, unknown>, done: grpc.sendUnaryData<object>) => done(null, {}) });
    const calls = callStream();
    expect(calls.supported).toBe(true);
    await expect(calls.send('RemoveContainer', removeCall('a'), removed)).rejects.toBeInstanceOf(CallStreamUnsupportedError);
    expect(calls.supported).toBe(false);
    await expect(calls.send('RemoveContainer', removeCall('b'), removed)).rejects.toBeInstanceOf(CallStreamUnsupportedError);
    expect(failures).toEqual([]);
  });
});

describe('RemoteHintProvider', () => {
  it('calls a provider without the Calls stream through the unary rpcs', async () => {
    const unaryCalls: string[] = [];
    await serve({
      getTopologyHints: (call: grpc.ServerUnaryCall<v1alpha1.GetTopologyHintsRequest, unknown>, done: grpc.sendUnaryData<v1alpha1.GetTopologyHintsResponse>) => {
        unaryCalls.push(`hints ${call.request.containerName}`);
        done(null, { hints: { cpu: { hints: [{ numaAffinity: { nodes: [1] }, preferred: true }], noPreference: false, packed: [] } } });
      },
      removeContainer: (call: grpc.ServerUnaryCall<v1alpha1.RemoveContainerRequest, unknown>, done: grpc.sendUnaryData<object>) => {
        unaryCalls.push(`remove ${call.request.containerName}`);
        done(null, {});
      },
    });
    const provider = new RemoteHintProvider('double', connection);
    const pod = { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { containers: [{ name: 'main', image: 'x' }] } };
    expect(await provider.getTopologyHints(pod, 'main')).toEqual(new Map([['cpu', [{ numaAffinity: 2n, preferred: true }]]]));
    await provider.removeContainer('u', 'main');
    expect(unaryCalls).toEqual(['hints main', 'remove main']);
    expect(failures).toEqual([]);
  });

  it('calls a provider that serves the Calls stream on it', async () => {
    await serve({
      calls: (stream: Stream) => {
        recordingCalls(stream);
        stream.on('data', (call: v1alpha1.HintProviderCall) => stream.write({ id: call.id, allocate: { rejection: { reason: 'OutOfcpu', message: 'full' } } }));
      },
    });
    const provider = new RemoteHintProvider('double', connection);
    const pod = { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { containers: [{ name: 'main', image: 'x' }] } };
    expect(await provider.allocate(pod, 'main', { numaAffinity: null, preferred: true })).toEqual({ ok: false, reason: 'OutOfcpu', message: 'full' });
    expect(received.map((r) => r.call.allocate?.containerName)).toEqual(['main']);
  });
});

describe('RemoteAdmitHandler', () => {
  const pod = { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { containers: [] } };

  it('sends Admit on the Calls stream and applies the failure policy to a failed call', async () => {
    const seen: string[] = [];
    await serve(
      {
        calls: (stream: grpc.ServerDuplexStream<v1alpha1.AdmitHandlerCall, v1alpha1.AdmitHandlerResult>) => {
          stream.on('data', (call: v1alpha1.AdmitHandlerCall) => {
            const name = (JSON.parse(call.admit?.pod?.json ?? '{}') as { metadata?: { name?: string } }).metadata?.name ?? '';
            seen.push(name);
            stream.write(
              name === 'broken'
                ? { id: call.id, error: { code: grpc.status.INTERNAL, message: 'handler threw' } }
                : { id: call.id, admit: { admit: false, rejection: { reason: 'NotHere', message: `no ${name}` } } },
            );
          });
        },
      },
      v1alpha1.AdmitHandlerService,
    );
    expect(await new RemoteAdmitHandler('gate', connection, 'Fail').admit(pod)).toEqual({ admit: false, reason: 'NotHere', message: 'no p' });
    const broken = { ...pod, metadata: { ...pod.metadata, name: 'broken' } };
    expect(await new RemoteAdmitHandler('gate', connection, 'Fail').admit(broken)).toMatchObject({
      admit: false,
      reason: 'UnexpectedAdmissionError',
      message: expect.stringMatching(/^admission plugin gate failed: .*INTERNAL.*handler threw/),
    });
    expect(await new RemoteAdmitHandler('gate', connection, 'Ignore').admit(broken)).toEqual({ admit: true });
    expect(seen).toEqual(['p', 'broken', 'broken']);
    expect(await counted('kernelet_plugin_call_failures_total', { service: 'AdmitHandler', method: 'Admit', code: 'INTERNAL' })).toBe(2);
  });

  it('calls a plugin without the Calls stream through the unary Admit', async () => {
    await serve(
      { admit: (_call: grpc.ServerUnaryCall<v1alpha1.AdmitRequest, unknown>, done: grpc.sendUnaryData<v1alpha1.AdmitResponse>) => done(null, { admit: true }) },
      v1alpha1.AdmitHandlerService,
    );
    expect(await new RemoteAdmitHandler('gate', connection, 'Fail').admit(pod)).toEqual({ admit: true });
    expect(failures).toEqual([]);
  });
});
