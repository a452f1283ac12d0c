/**
 * What the runtime says about a pod (upstream kubecontainer.PodStatus), independent of the
 * CRI wire types. Times are milliseconds since the epoch (0 = unset). Lists are newest first.
 */
export type RuntimeContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface RuntimeContainerStatus {
  id: string;
  name: string;
  podSandboxId: string;
  state: RuntimeContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  /** The image as the container spec names it. */
  image: string;
  /** The image the runtime ran (its ID or digest). */
  imageRef: string;
  /** The hash of the container spec it was created from. */
  hash: string;
  restartCount: number;
  reason: string;
  message: string;
  /** From the container's annotations: what the kubelet needs to stop it without the pod spec. */
  terminationGracePeriodSeconds?: number;
  preStopHandler?: string;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
}

export interface RuntimeSandboxStatus {
  id: string;
  state: 'ready' | 'notready';
  attempt: number;
  createdAt: number;
  /** Pod IPs (empty for host-network pods, whose IPs are the node's). */
  ips: string[];
}

export interface RuntimePodStatus {
  uid: string;
  name: string;
  namespace: string;
  /** Newest first. */
  sandboxes: RuntimeSandboxStatus[];
  /** Newest first. */
  containers: RuntimeContainerStatus[];
}

export function emptyPodStatus(uid: string, name = '', namespace = ''): RuntimePodStatus {
  return { uid, name, namespace, sandboxes: [], containers: [] };
}

/** The newest status of the container with this name. */
export function findContainerStatus(status: RuntimePodStatus, name: string): RuntimeContainerStatus | undefined {
  return status.containers.find((c) => c.name === name);
}

/** Containers running now or whose state the runtime cannot tell (they might be running). */
export function activeContainers(status: RuntimePodStatus): RuntimeContainerStatus[] {
  return status.containers.filter((c) => c.state === 'running' || c.state === 'unknown');
}

/** A pod as the runtime lists it: its sandboxes and containers (upstream kubecontainer.Pod). */
export interface RuntimePod {
  uid: string;
  name: string;
  namespace: string;
  sandboxes: { id: string; state: 'ready' | 'notready'; createdAt: number; attempt: number }[];
  containers: { id: string; name: string; state: RuntimeContainerState; createdAt: number; hash: string; restartCount: number; podSandboxId: string; terminationGracePeriodSeconds?: number; preStopHandler?: string }[];
}

export function runtimePodHasRunning(pod: RuntimePod): boolean {
  return pod.sandboxes.some((s) => s.state === 'ready') || pod.containers.some((c) => c.state === 'running' || c.state === 'unknown');
}
