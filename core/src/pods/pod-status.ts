import type { Container, ContainerStatus, Pod, PodCondition, PodStatus } from '@kernelet/sdk/common';
import { podQOSClass } from '@kernelet/sdk/common';
import { hasAnyRegularContainerCreated, shouldContainerBeRestarted } from './pod-actions.js';
import { getPhase } from './pod-phase.js';
import { isHostNetwork, isRestartableInitContainer } from './pod-naming.js';
import type { RuntimeContainerStatus, RuntimePodStatus } from './runtime-status.js';

/** Why a container waits, from the last sync (upstream ReasonCache): CrashLoopBackOff, ErrImagePull, ... */
export interface WaitingReason {
  reason: string;
  message: string;
}

export interface StatusInputs {
  pod: Pod;
  runtime: RuntimePodStatus;
  /** Waiting reasons by container name. */
  reasons: ReadonlyMap<string, WaitingReason>;
  /** The status generated last time (keeps startTime and condition transition times). */
  previous: PodStatus | undefined;
  /** The pod has been stopped for good (its worker finished terminating). */
  podIsTerminal: boolean;
  nodeIPs: readonly string[];
  /** "containerd", "kernelet-embedded", ...: the prefix of container IDs. */
  runtimeName: string;
  now: number;
}

/** RFC 3339 at second precision, as metav1.Time serializes. */
export function apiTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The pod's API status from what the runtime reports (upstream generateAPIPodStatus and
 * convertToAPIContainerStatuses, without probes: a running container is ready and started).
 * Sidecars are in initContainerStatuses; ready only while they run, and counted in the
 * Ready and ContainersReady conditions. A container the runtime no longer reports keeps the
 * termination reported before; a regular init container removed before one was reported
 * counts as completed once an app container was created.
 */
export function generatePodStatus(inputs: StatusInputs): PodStatus {
  const { pod, runtime, previous } = inputs;
  const hasInit = (pod.spec?.initContainers?.length ?? 0) > 0;
  const initStatuses = containerStatuses(inputs, pod.spec?.initContainers ?? [], hasInit, true);
  const appStatuses = containerStatuses(inputs, pod.spec?.containers ?? [], hasInit, false);

  let phase = getPhase(pod, [...initStatuses, ...appStatuses], inputs.podIsTerminal);
  // A pod never leaves a terminal phase.
  if (previous?.phase === 'Failed' || previous?.phase === 'Succeeded') phase = previous.phase;

  const sandbox = runtime.sandboxes[0];
  const podIPs = isHostNetwork(pod) ? [...inputs.nodeIPs] : (sandbox?.state === 'ready' ? sandbox.ips : []);
  // A regular init container is done once it exited 0, a sidecar once it started (upstream isInitContainerInitialized).
  const initialized = (pod.spec?.initContainers ?? []).filter((c) => {
    const s = initStatuses.find((x) => x.name === c.name);
    const done = isRestartableInitContainer(c) ? s?.started === true : s?.state?.terminated?.exitCode === 0;
    return !done && !appStatuses.some((a) => a.state?.running || a.lastState?.terminated || a.state?.terminated);
  });
  // Sidecars count for readiness as app containers do (upstream GenerateContainersReadyCondition).
  const sidecarNames = new Set((pod.spec?.initContainers ?? []).filter(isRestartableInitContainer).map((c) => c.name));
  const notReady = [...initStatuses.filter((s) => sidecarNames.has(s.name)), ...appStatuses].filter((s) => !s.ready).map((s) => s.name);
  const completed = phase === 'Succeeded' || phase === 'Failed';

  const conditions: PodCondition[] = [
    condition(previous, 'PodReadyToStartContainers', sandbox?.state === 'ready' && !completed ? 'True' : 'False', inputs.now),
    initialized.length === 0
      ? condition(previous, 'Initialized', 'True', inputs.now)
      : condition(previous, 'Initialized', 'False', inputs.now, 'ContainersNotInitialized', `containers with incomplete status: [${initialized.map((c) => c.name).join(' ')}]`),
    readyCondition(previous, 'Ready', completed, notReady, inputs.now),
    readyCondition(previous, 'ContainersReady', completed, notReady, inputs.now),
    condition(previous, 'PodScheduled', 'True', inputs.now),
  ];

  const status: PodStatus = {
    phase,
    conditions,
    hostIP: inputs.nodeIPs[0] ?? '',
    hostIPs: inputs.nodeIPs.map((ip) => ({ ip })),
    podIP: podIPs[0] ?? '',
    podIPs: podIPs.map((ip) => ({ ip })),
    startTime: previous?.startTime ?? apiTime(inputs.now),
    qosClass: podQOSClass(pod),
    containerStatuses: appStatuses,
  };
  if (hasInit) status.initContainerStatuses = initStatuses;
  if (previous?.reason) status.reason = previous.reason;
  if (previous?.message) status.message = previous.message;
  return status;
}

/** Upstream's message for a regular init container the runtime no longer reports once the pod got past its init containers. */
const INIT_CONTAINER_STATUS_LOST = 'Unable to get init container status from container runtime and pod has been initialized, treat it as exited normally';

function containerStatuses(inputs: StatusInputs, containers: readonly Container[], hasInit: boolean, isInit: boolean): ContainerStatus[] {
  const { pod, runtime, reasons } = inputs;
  const previousStatuses = (isInit ? inputs.previous?.initContainerStatuses : inputs.previous?.containerStatuses) ?? [];
  const appCreated = isInit && hasAnyRegularContainerCreated(pod, runtime);
  return containers.map((container) => {
    const sidecar = isInit && isRestartableInitContainer(container);
    const history = runtime.containers.filter((c) => c.name === container.name);
    const latest = history[0];
    let status: ContainerStatus = {
      name: container.name,
      image: container.image ?? '',
      imageID: '',
      ready: false,
      restartCount: 0,
      started: false,
      state: { waiting: { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' } },
    };
    const before = previousStatuses.find((s) => s.name === container.name);
    if (!latest && before?.state?.terminated) {
      // The runtime no longer reports it (removed): the termination reported before still stands, as upstream keeps it.
      status = { ...before };
    } else if (!latest && appCreated && !sidecar) {
      // Removed and never reported terminated (e.g. after a restart of the agent): an app container was
      // created, so this regular init container completed (upstream convertToAPIContainerStatuses).
      status.state = { terminated: { exitCode: 0, reason: 'Completed', message: INIT_CONTAINER_STATUS_LOST } };
      status.ready = true;
    }
    if (latest) {
      status.restartCount = latest.restartCount;
      status.containerID = containerID(inputs.runtimeName, latest.id);
      status.imageID = latest.imageRef;
      status.state = apiState(latest, inputs.runtimeName);
      if (latest.state === 'running') {
        status.started = true;
        status.ready = true;
      } else if (isInit && !sidecar && latest.state === 'exited' && latest.exitCode === 0) {
        status.ready = true;
      }
      const previousRun = history.slice(1).find((c) => c.state === 'exited');
      if (previousRun) status.lastState = apiState(previousRun, inputs.runtimeName);
    }
    const waiting = reasons.get(container.name);
    if (waiting && shouldContainerBeRestarted(container, pod, runtime) && !(isInit && !sidecar && status.state?.terminated?.exitCode === 0)) {
      if (status.state?.terminated) status.lastState = status.state;
      status.state = { waiting: { reason: waiting.reason, message: waiting.message } };
      status.ready = false;
      status.started = false;
    }
    return status;
  });
}

function apiState(c: RuntimeContainerStatus, runtimeName: string): NonNullable<ContainerStatus['state']> {
  switch (c.state) {
    case 'running':
      return { running: { startedAt: apiTime(c.startedAt) } };
    case 'exited':
      return {
        terminated: {
          exitCode: c.exitCode,
          reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error'),
          ...(c.message ? { message: c.message } : {}),
          ...(c.startedAt ? { startedAt: apiTime(c.startedAt) } : {}),
          finishedAt: apiTime(c.finishedAt || c.createdAt),
          containerID: containerID(runtimeName, c.id),
        },
      };
    default:
      return { waiting: {} };
  }
}

export function containerID(runtimeName: string, id: string): string {
  return `${runtimeName}://${id}`;
}

function condition(previous: PodStatus | undefined, type: string, status: 'True' | 'False', now: number, reason?: string, message?: string): PodCondition {
  const before = previous?.conditions?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : apiTime(now);
  return { type, status, lastTransitionTime, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

function readyCondition(previous: PodStatus | undefined, type: string, completed: boolean, notReady: readonly string[], now: number): PodCondition {
  if (completed) return condition(previous, type, 'False', now, 'PodCompleted');
  if (notReady.length === 0) return condition(previous, type, 'True', now);
  return condition(previous, type, 'False', now, 'ContainersNotReady', `containers with unready status: [${notReady.join(' ')}]`);
}

/** What upstream's rejectPod puts before the admission handler's message. */
export const REJECTED_MESSAGE_PREFIX = 'Pod was rejected: ';

/**
 * The status of a pod that admission refused (upstream rejectPod): Failed with the handler's
 * reason, and its message after "Pod was rejected: ".
 */
export function rejectedPodStatus(pod: Pod, reason: string, message: string, now: number): PodStatus {
  return { phase: 'Failed', reason, message: `${REJECTED_MESSAGE_PREFIX}${message}`, startTime: pod.status?.startTime ?? apiTime(now), qosClass: podQOSClass(pod) };
}
