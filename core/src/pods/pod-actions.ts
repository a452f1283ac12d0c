import type { Container, Pod } from '@kernelet/sdk/common';
import { hashContainer } from './container-hash.js';
import { restartPolicy } from './pod-naming.js';
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
  /** The init container to start next (init containers run one at a time, in order). */
  nextInitContainerToStart?: Container;
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

/** upstream ShouldContainerBeRestarted. */
export function shouldContainerBeRestarted(container: Container, pod: Pod, status: RuntimePodStatus): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  const current = findContainerStatus(status, container.name);
  if (!current) return true;
  if (current.state === 'running') return false;
  if (current.state === 'unknown' || current.state === 'created') return true;
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

/**
 * The init container to run next: the last failed one (to retry it), the one after the last
 * that succeeded, or the first; done when all succeeded or an app container already runs.
 * `last` is the status of the failed init container, if one failed.
 */
export function findNextInitContainerToRun(pod: Pod, status: RuntimePodStatus): { last?: RuntimeContainerStatus; next?: Container; done: boolean } {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return { done: true };
  for (const c of pod.spec?.containers ?? []) {
    if (findContainerStatus(status, c.name)?.state === 'running') return { done: true };
  }
  for (let i = inits.length - 1; i >= 0; i--) {
    const init = inits[i] as Container;
    const s = findContainerStatus(status, init.name);
    if (s && isInitContainerFailed(s)) return { last: s, next: init, done: false };
  }
  for (let i = inits.length - 1; i >= 0; i--) {
    const s = findContainerStatus(status, (inits[i] as Container).name);
    if (!s) continue;
    if (s.state === 'running') return { done: false };
    if (s.state === 'exited') return i === inits.length - 1 ? { done: true } : { next: inits[i + 1] as Container, done: false };
  }
  return { next: inits[0] as Container, done: false };
}

function containerSucceeded(container: Container, status: RuntimePodStatus): boolean {
  const s = findContainerStatus(status, container.name);
  return s !== undefined && s.state === 'exited' && s.exitCode === 0;
}

/**
 * Compares the pod spec with what runs and says what to do (upstream computePodActions, the
 * path without sidecar containers): (re)create the sandbox and start over when it is missing
 * or not ready; run init containers one by one, each to success; then start the app
 * containers that should run by the restart policy, restart those whose spec changed, and
 * stop the pod when nothing is left to run.
 */
export function computePodActions(pod: Pod, status: RuntimePodStatus): PodActions {
  const sandbox = podSandboxChanged(status);
  const actions: PodActions = {
    killPod: sandbox.changed,
    createSandbox: sandbox.changed,
    sandboxId: sandbox.sandboxId,
    attempt: sandbox.attempt,
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
    if (toStart.length === 0 && findNextInitContainerToRun(pod, status).done) {
      actions.createSandbox = false;
      return actions;
    }
    if (inits.length > 0) {
      actions.nextInitContainerToStart = inits[0] as Container;
      return actions;
    }
    actions.containersToStart = toStart;
    return actions;
  }

  const init = findNextInitContainerToRun(pod, status);
  if (!init.done) {
    if (init.next) {
      const failed = init.last !== undefined && isInitContainerFailed(init.last);
      if (failed && policy === 'Never') {
        actions.killPod = true;
      } else {
        if (init.last && init.last.state === 'unknown') {
          actions.containersToKill.set(init.last.id, {
            name: init.next.name,
            container: init.next,
            message: `Init container is in "unknown" state, try killing it before restart`,
            reason: 'Unknown',
          });
        }
        actions.nextInitContainerToStart = init.next;
      }
    }
    return actions;
  }

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
    if (current.hash !== '' && current.hash !== hashContainer(container)) {
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
  if (keep === 0 && actions.containersToStart.length === 0) actions.killPod = true;
  return actions;
}
