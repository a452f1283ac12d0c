import * as grpc from '@grpc/grpc-js';
import { pluginregistration, v1alpha1 } from '@kernelet/proto';
import {
  allocationFromWire,
  hintToWire,
  podFromWire,
  podToWire,
  providerHintsFromWire,
  sharedAllocationFromWire,
  type AllocateResult,
  type AllocationList,
  type Pod,
  type ProviderHints,
  type TopologyHint,
} from '../common/index.js';
import type { AdmitDecision, NodeStatusReport } from '../define-plugin.js';
import { CallMultiplexer, CallStreamEndedError, CallTimeoutError, UnixSocketLinks, type CallStreamResult } from '@kernelet/proto/transport';

export interface FakeAgentOptions {
  /** Overrides of the Configure request (defaults: empty config, node "test-node"). */
  configure?: Partial<v1alpha1.ConfigureRequest>;
  timeoutMs?: number;
}

export interface FakeAgentSession {
  info: pluginregistration.PluginInfo;
  admit(pod: Pod): Promise<AdmitDecision>;
  getTopologyHints(pod: Pod, containerName: string): Promise<ProviderHints>;
  getPodTopologyHints(pod: Pod): Promise<ProviderHints>;
  allocate(pod: Pod, containerName: string, hint: TopologyHint): Promise<AllocateResult>;
  removeContainer(podUID: string, containerName: string): Promise<void>;
  listAllocations(): Promise<AllocationList>;
  getNodeStatus(nodeName: string): Promise<NodeStatusReport>;
  /** The pod updates the plugin streams, as they come. */
  watchPods(onUpdate: (op: string, pods: Pod[]) => void): () => void;
  close(): void;
}

/**
 * Plays the agent's side of the handshake against a plugin's socket (GetInfo,
 * Configure, NotifyRegistrationStatus(true)) and returns typed calls into it: for a
 * plugin author's tests, with the plugin over a real socket but no agent running.
 */
export async function registerWithFakeAgent(socketPath: string, options: FakeAgentOptions = {}): Promise<FakeAgentSession> {
  const links = new UnixSocketLinks();
  const target = `unix://${links.dialPath(socketPath)}`;
  const channel = new grpc.Channel(target, grpc.credentials.createInsecure(), {});
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), { channelOverride: channel });
  const timeoutMs = options.timeoutMs ?? 5000;
  const call = <Req, Res>(method: grpc.MethodDefinition<Req, Res>, request: Req): Promise<Res> =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) =>
        error || response === undefined ? reject(error ?? new Error('empty response')) : resolve(response),
      );
    });

  const info = await call(pluginregistration.RegistrationService.getInfo, {});
  await call(v1alpha1.PluginService.configure, {
    kubeletConfigJson: '{}',
    pluginConfigJson: '{}',
    nodeName: 'test-node',
    rootDir: '',
    machineJson: '',
    hostEndpoint: '',
    callTimeoutMs: timeoutMs,
    readsPackedHints: true,
    agentVersion: 'test',
    featureGates: {},
    ...options.configure,
  });
  await call(pluginregistration.RegistrationService.notifyRegistrationStatus, { pluginRegistered: true, error: '' });
  const calls = callsStream(client, v1alpha1.HintProviderService.calls, timeoutMs);
  const admits = callsStream(client, v1alpha1.AdmitHandlerService.calls, timeoutMs);

  return {
    info,
    async admit(pod) {
      const r = (await admits.send({ admit: { pod: podToWire(pod) } })).admit;
      return r?.admit ? { admit: true } : { admit: false, reason: r?.rejection?.reason ?? '', message: r?.rejection?.message ?? '' };
    },
    async getTopologyHints(pod, containerName) {
      const r = await calls.send({ getTopologyHints: { pod: podToWire(pod), containerName } });
      return providerHintsFromWire(hintsOf(r));
    },
    async getPodTopologyHints(pod) {
      const r = await calls.send({ getPodTopologyHints: { pod: podToWire(pod) } });
      return providerHintsFromWire(hintsOf(r));
    },
    async allocate(pod, containerName, hint) {
      const r = (await calls.send({ allocate: { pod: podToWire(pod), containerName, hint: hintToWire(hint) } })).allocate;
      if (r?.rejection) return { ok: false, reason: r.rejection.reason, message: r.rejection.message };
      return { ok: true, allocation: r?.allocation ? allocationFromWire(r.allocation) : { podUID: pod.metadata?.uid ?? '', containerName } };
    },
    async removeContainer(podUID, containerName) {
      await calls.send({ removeContainer: { podUid: podUID, containerName } });
    },
    async listAllocations() {
      const r = await call(v1alpha1.HintProviderService.listAllocations, {});
      return { allocations: r.allocations.map(allocationFromWire), shared: r.shared ? sharedAllocationFromWire(r.shared) : null };
    },
    async getNodeStatus(nodeName) {
      const r = await call(v1alpha1.StatusFuncService.getNodeStatus, { nodeName });
      return {
        capacity: r.capacity,
        allocatable: r.allocatable,
        conditions: r.conditions.map((c) => ({ ...c, status: c.status as 'True' | 'False' | 'Unknown' })),
      };
    },
    watchPods(onUpdate) {
      const method = v1alpha1.PodSourceService.watchPods;
      const stream = client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, {}, new grpc.Metadata(), {});
      stream.on('data', (u: v1alpha1.PodUpdate) => onUpdate(v1alpha1.podOperationToJSON(u.op), u.pods.map((p) => podFromWire(p))));
      stream.on('error', () => undefined);
      return () => stream.cancel();
    },
    close() {
      calls.close();
      admits.close();
      client.close();
      channel.close();
      links.remove();
    },
  };
}

/**
 * An extension point's calls as the agent makes them: messages on the plugin's Calls
 * stream, opened on first use. A result carrying an error rejects like a failed rpc.
 */
function callsStream<Call extends { id: number }, Result extends CallStreamResult>(client: grpc.Client, method: grpc.MethodDefinition<Call, Result>, timeoutMs: number) {
  const calls = new CallMultiplexer<Call, Result>(() =>
    client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, new grpc.Metadata(), {}),
  );
  const failure = (code: number, message: string) => Object.assign(new Error(message), { code, details: message });
  return {
    async send(call: Omit<Call, 'id'>): Promise<Result> {
      let result: Result;
      try {
        result = await calls.send(call, timeoutMs);
      } catch (error) {
        if (error instanceof CallTimeoutError) throw failure(grpc.status.DEADLINE_EXCEEDED, error.message);
        if (error instanceof CallStreamEndedError) throw failure(error.status.code, error.status.details);
        throw error;
      }
      if (result.error) throw failure(result.error.code, result.error.message);
      return result;
    },
    close() {
      calls.cancel();
    },
  };
}

function hintsOf(result: v1alpha1.HintProviderResult): v1alpha1.GetTopologyHintsResponse {
  if (!result.hints) throw new Error('the plugin answered a hints call with the result of another call');
  return result.hints;
}
