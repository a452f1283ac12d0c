import type { Container, Pod } from '@kernelet/sdk/common';
import { hashContainer } from './container-hash.js';
import { isRestartableInitContainer, restartPolicy } from './pod-naming.js';
import { findContainerStatus, type RuntimeContainerStatus, type RuntimePodStatus } from './runtime-status.js';

export type KillReason = 'Unknown' | 'DefinitionChanged' | 'InitFailed';

export interface ContainerToKill {
  name: string;
  container?: Container;
  message: string;
  reason: KillReason;
}

/** What it takes to bring a pod's containers to the spec (upstream kuberuntime podActions). */
export interface PodActions {
  /** Stop every container and the sandbox first. */
  killPod: boolean;
  createSandbox: boolean;
  /** The sandbox to run containers in (the latest one), or "" when there is none. */
  sandboxId: string;
  /** The attempt number of the sandbox to create. */
  attempt: number;
  /**
   * Indexes into spec.initContainers, in spec order: the next init container to run, and
   * the sidecars (restartable init containers) to start again.
   */
  initContainersToStart: number[];
  /** Indexes into spec.containers. */
  containersToStart: number[];
  /** By container ID. */
  containersToKill: Map<string, ContainerToKill>;
}

/** Whether the pod's sandbox must be (re)created, and with which attempt number (upstream PodSandboxChanged). */
export function podSandboxChanged(status: RuntimePodStatus): { changed: boolean; attempt: number; sandboxId: string } {
  const latest = status.sandboxes[0];
  if (!latest) return { changed: true, attempt: 0, sandboxId: '' };
  const ready = status.sandboxes.filter((s) => s.state === 'ready').length;
  if (ready > 1 || latest.state !== 'ready') return { changed: true, attempt: latest.attempt + 1, sandboxId: latest.id };
  return { changed: false, attempt: latest.attempt, sandboxId: latest.id };
}

/**
 * upstream ShouldContainerBeRestarted. A sidecar is restarted whatever the pod's restart
 * policy: its own restartPolicy (Always) is the one that counts.
 */
export function shouldContainerBeRestarted(container: Container, pod: Pod, status: RuntimePodStatus): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  const current = findContainerStatus(status, container.name);
  if (!current) return true;
  if (current.state === 'running') return false;
  if (current.state === 'unknown' || current.state === 'created') return true;
  if (isRestartableInitContainer(container)) return true;
  const policy = restartPolicy(pod);
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && current.exitCode === 0) return false;
  return true;
}

export function isInitContainerFailed(status: RuntimeContainerStatus): boolean {
  if (status.reason === 'OOMKilled') return true;
  if (status.state === 'exited' && status.exitCode !== 0) return true;
  return status.state === 'unknown';
}

/** Whether an app container was ever created: the pod got past its init containers once (upstream hasAnyRegularContainerCreated). */
export function hasAnyRegularContainerCreated(pod: Pod, status: RuntimePodStatus): boolean {
  return (pod.spec?.containers ?? []).some((c) => {
    const state = findContainerStatus(status, c.name)?.state;
    return state === 'created' || state === 'running' || state === 'exited';
  });
}

function specChanged(container: Container, current: RuntimeContainerStatus): boolean {
  return current.hash !== '' && current.hash !== hashContainer(container);
}

/**
 * Fills in what the init containers need (upstream computeInitContainerActions) and says
 * whether the pod is initialized. Init containers go in order: a regular one must exit 0
 * before the next starts; a sidecar must be running (started: there are no startup probes)
 * before the next starts, and from then on it is restarted whenever it is not running or
 * its spec changed, whatever the pod's restart policy. The last status of each init
 * container is what counts, walking back from the last one, as completed init containers
 * may have been removed. Once an app container was created or runs, only sidecars are looked at.
 * A regular init container that failed under restartPolicy Never stops the pod.
 */
export function computeInitContainerActions(pod: Pod, status: RuntimePodStatus, actions: PodActions): boolean {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return true;
  let initialized = (pod.spec?.containers ?? []).some((c) => {
    const state = findContainerStatus(status, c.name)?.state;
    // An exited app container proves nothing: after a reboot every container has exited and the new sandbox starts over.
    return state === 'created' || state === 'running';
  });
  // Whether the init containers before the one looked at have (at some point) all been run.
  let earlierDone = initialized;
  const restartOnFailure = restartPolicy(pod) !== 'Never';
  const toStart: number[] = [];
  const kill = (current: RuntimeContainerStatus, container: Container, message: string, reason: KillReason): void => {
    actions.containersToKill.set(current.id, { name: container.name, container, message, reason });
  };

  for (let i = inits.length - 1; i >= 0; i--) {
    const init = inits[i] as Container;
    const sidecar = isRestartableInitContainer(init);
    const current = findContainerStatus(status, init.name);
    if (!current) {
      // Its status was removed after it ran: only a sidecar needs to be running again.
      if (earlierDone && sidecar) toStart.push(i);
      continue;
    }
    if (earlierDone && !sidecar) continue;
    const last = i === inits.length - 1;
    switch (current.state) {
      case 'created':
        // Created and started are one step: one stuck in created failed to start.
        toStart.push(i);
        break;
      case 'running':
        if (!sidecar) break; // wait for it to finish
        if (last) initialized = true;
        else if (!earlierDone) toStart.push(i + 1);
        if (specChanged(init, current)) {
          kill(current, init, `Init container ${init.name} definition changed`, 'DefinitionChanged');
          toStart.push(i);
        }
        break;
      case 'exited':
        if (sidecar) {
          toStart.push(i);
        } else if (isInitContainerFailed(current)) {
          if (!restartOnFailure) {
            actions.killPod = true;
            actions.initContainersToStart = [];
            return false;
          }
          toStart.push(i);
        } else if (last) {
          initialized = true;
        } else {
          toStart.push(i + 1);
        }
        break;
      default:
        if (!sidecar && !restartOnFailure) {
          actions.killPod = true;
          actions.initContainersToStart = [];
          return false;
        }
        kill(current, init, `Init container is in "unknown" state, try killing it before restart`, 'Unknown');
        toStart.push(i);
    }
    earlierDone = true;
  }
  if (!earlierDone) toStart.push(0);
  actions.initContainersToStart = toStart.reverse();
  return initialized;
}

function containerSucceeded(container: Container, status: RuntimePodStatus): boolean {
  const s = findContainerStatus(status, container.name);
  return s !== undefined && s.state === 'exited' && s.exitCode === 0;
}

/**
 * Compares the pod spec with what runs and says what to do (upstream computePodActions):
 * (re)create the sandbox and start over when it is missing or not ready; run the init
 * containers in order (computeInitContainerActions); once initialized, start the app
 * containers that should run by the restart policy, restart those whose spec changed, and
 * stop the pod when no app container is left to run (sidecars alone do not keep it).
 */
export function computePodActions(pod: Pod, status: RuntimePodStatus): PodActions {
  const sandbox = podSandboxChanged(status);
  const actions: PodActions = {
    killPod: sandbox.changed,
    createSandbox: sandbox.changed,
    sandboxId: sandbox.sandboxId,
    attempt: sandbox.attempt,
    initContainersToStart: [],
    containersToStart: [],
    containersToKill: new Map(),
  };
  const containers = pod.spec?.containers ?? [];
  const inits = pod.spec?.initContainers ?? [];
  const policy = restartPolicy(pod);

  if (sandbox.changed) {
    if (policy === 'Never' && sandbox.attempt !== 0 && status.containers.length !== 0) {
      // Everything ran once and nothing restarts: no new sandbox just to stop it again.
      actions.createSandbox = false;
      return actions;
    }
    const toStart = containers.flatMap((c, i) => (policy === 'OnFailure' && containerSucceeded(c, status) ? [] : [i]));
    if (toStart.length === 0 && hasAnyRegularContainerCreated(pod, status)) {
      actions.createSandbox = false;
      return actions;
    }
    if (inits.length > 0) {
      actions.initContainersToStart = [0];
      return actions;
    }
    actions.containersToStart = toStart;
    return actions;
  }

  const initialized = computeInitContainerActions(pod, status, actions);
  if (actions.killPod || !initialized) return actions;

  let keep = 0;
  containers.forEach((container, index) => {
    const current = findContainerStatus(status, container.name);
    if (!current || current.state !== 'running') {
      if (shouldContainerBeRestarted(container, pod, status)) {
        actions.containersToStart.push(index);
        if (current && current.state === 'unknown') {
          actions.containersToKill.set(current.id, {
            name: current.name,
            container,
            message: `Container is in "unknown" state, try killing it before restart`,
            reason: 'Unknown',
          });
        }
      }
      return;
    }
    if (specChanged(container, current)) {
      actions.containersToStart.push(index);
      actions.containersToKill.set(current.id, {
        name: current.name,
        container,
        message: `Container ${container.name} definition changed, will be restarted`,
        reason: 'DefinitionChanged',
      });
      return;
    }
    keep++;
  });
  if (keep === 0 && actions.containersToStart.length === 0) {
    actions.killPod = true;
    // Sidecars alone do not keep the pod: they are stopped, not restarted.
    actions.initContainersToStart = [];
  }
  return actions;
}
