import type { ContainerStatus, Pod } from '@kernelet/sdk/common';
import { isRestartableInitContainer, isStaticPod, restartPolicy } from './pod-naming.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/**
 * The pod's phase from its container statuses (upstream kubelet getPhase, without the
 * alpha ContainerRestartRules gate): Failed when a regular init container failed under
 * restartPolicy Never; Pending while init containers run or any container waits; Running
 * while a container runs or all are restarting; Succeeded/Failed once all app containers
 * stopped for good. Sidecars (restartable init containers) keep the pod Pending until they
 * have started and count as running while they run, but a stopped sidecar never makes the
 * pod Failed or Succeeded: the app containers decide.
 */
export function getPhase(pod: Pod, statuses: readonly ContainerStatus[], podIsTerminal: boolean): PodPhase {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const policy = restartPolicy(pod);
  const inits = pod.spec?.initContainers ?? [];
  let pendingInit = 0;
  let failedInit = 0;
  for (const init of inits) {
    if (isRestartableInitContainer(init)) continue;
    const s = byName.get(init.name);
    if (!s) {
      pendingInit++;
      continue;
    }
    if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  }

  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const sidecar of inits) {
    if (!isRestartableInitContainer(sidecar)) continue;
    const s = byName.get(sidecar.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state?.running) {
      if (s.started !== true) pendingInit++;
      running++;
    } else if (s.state?.terminated) {
      // A stopped sidecar does not count for the phase.
    } else if (s.state?.waiting) {
      if (!s.lastState?.terminated) {
        pendingInit++;
        waiting++;
      }
    } else {
      pendingInit++;
      unknown++;
    }
  }
  for (const container of pod.spec?.containers ?? []) {
    const s = byName.get(container.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }

  if (failedInit > 0 && policy === 'Never') return 'Failed';
  // Once an app container has run, a restarting sidecar does not send the pod back to Pending.
  if ((pendingInit > 0 && !anyAppContainerStarted(pod, byName)) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal && !isStaticPod(pod)) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** Whether an app container runs or has run (upstream HasAnyRegularContainerStarted). */
function anyAppContainerStarted(pod: Pod, byName: ReadonlyMap<string, ContainerStatus>): boolean {
  return (pod.spec?.containers ?? []).some((c) => {
    const state = byName.get(c.name)?.state;
    return state?.running !== undefined || state?.terminated !== undefined;
  });
}
