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
import { UnixSocketLinks } from '@kernelet/proto/transport';

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
    agentVersion: 'test',
    featureGates: {},
    ...options.configure,
  });
  await call(pluginregistration.RegistrationService.notifyRegistrationStatus, { pluginRegistered: true, error: '' });

  return {
    info,
    async admit(pod) {
      const r = await call(v1alpha1.AdmitHandlerService.admit, { pod: podToWire(pod) });
      return r.admit ? { admit: true } : { admit: false, reason: r.rejection?.reason ?? '', message: r.rejection?.message ?? '' };
    },
    async getTopologyHints(pod, containerName) {
      return providerHintsFromWire(await call(v1alpha1.HintProviderService.getTopologyHints, { pod: podToWire(pod), containerName }));
    },
    async getPodTopologyHints(pod) {
      return providerHintsFromWire(await call(v1alpha1.HintProviderService.getPodTopologyHints, { pod: podToWire(pod) }));
    },
    async allocate(pod, containerName, hint) {
      const r = await call(v1alpha1.HintProviderService.allocate, { pod: podToWire(pod), containerName, hint: hintToWire(hint) });
      if (r.rejection) return { ok: false, reason: r.rejection.reason, message: r.rejection.message };
      return { ok: true, allocation: r.allocation ? allocationFromWire(r.allocation) : { podUID: pod.metadata?.uid ?? '', containerName } };
    },
    async removeContainer(podUID, containerName) {
      await call(v1alpha1.HintProviderService.removeContainer, { podUid: podUID, containerName });
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
      client.close();
      channel.close();
      links.remove();
    },
  };
}
