import { runtime } from '@kernelet/proto';
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_POD_TERMINATION_GRACE_PERIOD,
  ANNOTATION_PRESTOP_HANDLER,
  ANNOTATION_RESTART_COUNT,
  ANNOTATION_TERMINATION_MESSAGE_PATH,
  ANNOTATION_TERMINATION_MESSAGE_POLICY,
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
} from '../pods/pod-naming.js';
import type { RuntimeContainerState, RuntimeContainerStatus, RuntimePod, RuntimePodStatus, RuntimeSandboxStatus } from '../pods/runtime-status.js';
import type { RuntimeService } from './runtime-service.js';

/** CRI nanoseconds to milliseconds. */
export function nanosToMs(ns: bigint): number {
  return ns <= 0n ? 0 : Number(ns / 1_000_000n);
}

export function containerState(state: runtime.ContainerState): RuntimeContainerState {
  switch (state) {
    case runtime.ContainerState.CONTAINER_CREATED:
      return 'created';
    case runtime.ContainerState.CONTAINER_RUNNING:
      return 'running';
    case runtime.ContainerState.CONTAINER_EXITED:
      return 'exited';
    default:
      return 'unknown';
  }
}

function sandboxState(state: runtime.PodSandboxState): 'ready' | 'notready' {
  return state === runtime.PodSandboxState.SANDBOX_READY ? 'ready' : 'notready';
}

export function sandboxPodUID(s: { metadata?: runtime.PodSandboxMetadata | undefined; labels: Record<string, string> }): string {
  return s.metadata?.uid || s.labels[LABEL_POD_UID] || '';
}

/** Every sandbox and container the runtime has, grouped by pod UID (what the kubelet manages). */
export function groupRuntimePods(sandboxes: readonly runtime.PodSandbox[], containers: readonly runtime.Container[]): Map<string, RuntimePod> {
  const pods = new Map<string, RuntimePod>();
  const get = (uid: string, name: string, namespace: string): RuntimePod => {
    let pod = pods.get(uid);
    if (!pod) {
      pod = { uid, name, namespace, sandboxes: [], containers: [] };
      pods.set(uid, pod);
    }
    return pod;
  };
  for (const s of sandboxes) {
    const uid = sandboxPodUID(s);
    if (!uid) continue;
    get(uid, s.metadata?.name ?? s.labels[LABEL_POD_NAME] ?? '', s.metadata?.namespace ?? s.labels[LABEL_POD_NAMESPACE] ?? '').sandboxes.push({
      id: s.id,
      state: sandboxState(s.state),
      createdAt: nanosToMs(s.createdAt),
      attempt: s.metadata?.attempt ?? 0,
    });
  }
  for (const c of containers) {
    const uid = c.labels[LABEL_POD_UID];
    if (!uid) continue;
    const grace = Number(c.annotations[ANNOTATION_POD_TERMINATION_GRACE_PERIOD]);
    get(uid, c.labels[LABEL_POD_NAME] ?? '', c.labels[LABEL_POD_NAMESPACE] ?? '').containers.push({
      id: c.id,
      name: c.labels[LABEL_CONTAINER_NAME] ?? c.metadata?.name ?? '',
      state: containerState(c.state),
      createdAt: nanosToMs(c.createdAt),
      hash: c.annotations[ANNOTATION_CONTAINER_HASH] ?? '',
      restartCount: Number(c.annotations[ANNOTATION_RESTART_COUNT] ?? c.metadata?.attempt ?? 0) || 0,
      podSandboxId: c.podSandboxId,
      ...(Number.isFinite(grace) && c.annotations[ANNOTATION_POD_TERMINATION_GRACE_PERIOD] !== undefined ? { terminationGracePeriodSeconds: grace } : {}),
      ...(c.annotations[ANNOTATION_PRESTOP_HANDLER] ? { preStopHandler: c.annotations[ANNOTATION_PRESTOP_HANDLER] } : {}),
    });
  }
  for (const pod of pods.values()) {
    pod.sandboxes.sort((a, b) => b.createdAt - a.createdAt);
    pod.containers.sort((a, b) => b.createdAt - a.createdAt);
  }
  return pods;
}

/** A full container status from the runtime's ContainerStatus answer. */
export function convertContainerStatus(s: runtime.ContainerStatus, podSandboxId: string): RuntimeContainerStatus {
  const grace = s.annotations[ANNOTATION_POD_TERMINATION_GRACE_PERIOD];
  return {
    id: s.id,
    name: s.labels[LABEL_CONTAINER_NAME] ?? s.metadata?.name ?? '',
    podSandboxId,
    state: containerState(s.state),
    createdAt: nanosToMs(s.createdAt),
    startedAt: nanosToMs(s.startedAt),
    finishedAt: nanosToMs(s.finishedAt),
    exitCode: s.exitCode,
    image: s.image?.userSpecifiedImage || s.image?.image || '',
    imageRef: s.imageRef || s.imageId,
    hash: s.annotations[ANNOTATION_CONTAINER_HASH] ?? '',
    restartCount: Number(s.annotations[ANNOTATION_RESTART_COUNT] ?? s.metadata?.attempt ?? 0) || 0,
    reason: s.reason,
    message: s.message,
    ...(grace !== undefined && Number.isFinite(Number(grace)) ? { terminationGracePeriodSeconds: Number(grace) } : {}),
    ...(s.annotations[ANNOTATION_PRESTOP_HANDLER] ? { preStopHandler: s.annotations[ANNOTATION_PRESTOP_HANDLER] } : {}),
    ...(s.annotations[ANNOTATION_TERMINATION_MESSAGE_PATH] ? { terminationMessagePath: s.annotations[ANNOTATION_TERMINATION_MESSAGE_PATH] } : {}),
    ...(s.annotations[ANNOTATION_TERMINATION_MESSAGE_POLICY] ? { terminationMessagePolicy: s.annotations[ANNOTATION_TERMINATION_MESSAGE_POLICY] } : {}),
  };
}

export function convertSandboxStatus(s: runtime.PodSandboxStatus): RuntimeSandboxStatus {
  const ips = s.network?.ip ? [s.network.ip, ...s.network.additionalIps.map((a) => a.ip)] : [];
  return { id: s.id, state: sandboxState(s.state), attempt: s.metadata?.attempt ?? 0, createdAt: nanosToMs(s.createdAt), ips };
}

export interface StatusReaderOptions {
  /** Whether the pod runs in the host's network (its sandbox has no IP of its own); undefined when unknown. */
  isHostNetwork(uid: string): boolean | undefined;
}

/**
 * Builds pods' runtime statuses (upstream GetPodStatus) from the runtime's listings, asking
 * ContainerStatus only for containers whose state changed since last asked, and
 * PodSandboxStatus only for pods with a network of their own (for the IP). A relist of 100
 * steady pods therefore costs two list calls.
 */
export class RuntimeStatusReader {
  private readonly containerDetails = new Map<string, { state: runtime.ContainerState; status: RuntimeContainerStatus }>();
  private readonly sandboxDetails = new Map<string, { state: runtime.PodSandboxState; ips: string[] }>();

  constructor(
    private readonly runtimeService: RuntimeService,
    private readonly options: StatusReaderOptions,
  ) {}

  async listAll(): Promise<{ sandboxes: runtime.PodSandbox[]; containers: runtime.Container[] }> {
    const [sandboxes, containers] = await Promise.all([this.runtimeService.listPodSandbox(), this.runtimeService.listContainers()]);
    return { sandboxes, containers };
  }

  /** The status of one pod, from the runtime directly. */
  async fetch(uid: string, name = '', namespace = ''): Promise<RuntimePodStatus> {
    const { sandboxes, containers } = await this.listPod(uid);
    return this.build(uid, name, namespace, sandboxes, containers);
  }

  /** One pod's sandboxes and containers (two listings filtered by the pod UID label). */
  async listPod(uid: string): Promise<{ sandboxes: runtime.PodSandbox[]; containers: runtime.Container[] }> {
    const [sandboxes, containers] = await Promise.all([
      this.runtimeService.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: uid } }),
      this.runtimeService.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } }),
    ]);
    return { sandboxes, containers };
  }

  /** The status of one pod from listings already made. */
  async build(uid: string, name: string, namespace: string, sandboxes: readonly runtime.PodSandbox[], containers: readonly runtime.Container[]): Promise<RuntimePodStatus> {
    const sandboxStatuses = await Promise.all(
      [...sandboxes].sort((a, b) => Number(b.createdAt - a.createdAt)).map(async (s): Promise<RuntimeSandboxStatus> => {
        const base: RuntimeSandboxStatus = { id: s.id, state: sandboxState(s.state), attempt: s.metadata?.attempt ?? 0, createdAt: nanosToMs(s.createdAt), ips: [] };
        if (this.options.isHostNetwork(uid) === true || s.state !== runtime.PodSandboxState.SANDBOX_READY) return base;
        const cached = this.sandboxDetails.get(s.id);
        if (cached && cached.state === s.state) return { ...base, ips: cached.ips };
        const status = await this.runtimeService.podSandboxStatus(s.id);
        const ips = status ? convertSandboxStatus(status).ips : [];
        this.sandboxDetails.set(s.id, { state: s.state, ips });
        return { ...base, ips };
      }),
    );
    const containerStatuses = (
      await Promise.all(
        containers.map(async (c): Promise<RuntimeContainerStatus | undefined> => {
          const cached = this.containerDetails.get(c.id);
          if (cached && cached.state === c.state) return cached.status;
          const status = await this.runtimeService.containerStatus(c.id);
          if (!status) return undefined;
          const converted = convertContainerStatus(status, c.podSandboxId);
          // A running container's details do not change until it exits; an exited one's never.
          if (status.state === c.state) this.containerDetails.set(c.id, { state: c.state, status: converted });
          return converted;
        }),
      )
    ).filter((c): c is RuntimeContainerStatus => c !== undefined);
    containerStatuses.sort((a, b) => b.createdAt - a.createdAt);
    const first = sandboxes[0];
    return {
      uid,
      name: name || first?.metadata?.name || '',
      namespace: namespace || first?.metadata?.namespace || '',
      sandboxes: sandboxStatuses,
      containers: containerStatuses,
    };
  }

  /** Records a status the runtime pushed (evented PLEG), so later builds need not ask again. */
  remember(status: runtime.ContainerStatus, podSandboxId: string): RuntimeContainerStatus {
    const converted = convertContainerStatus(status, podSandboxId);
    this.containerDetails.set(status.id, { state: status.state, status: converted });
    return converted;
  }

  /** Drops what is known of containers and sandboxes that no longer exist. */
  prune(liveContainerIds: ReadonlySet<string>, liveSandboxIds: ReadonlySet<string>): void {
    for (const id of this.containerDetails.keys()) if (!liveContainerIds.has(id)) this.containerDetails.delete(id);
    for (const id of this.sandboxDetails.keys()) if (!liveSandboxIds.has(id)) this.sandboxDetails.delete(id);
  }
}
