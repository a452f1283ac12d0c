import type { Container, Pod } from '@kernelet/sdk/common';

/** Labels and annotations the kubelet puts on sandboxes and containers (upstream kuberuntime/labels.go). */
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_TERMINATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';
export const ANNOTATION_POD_TERMINATION_GRACE_PERIOD = 'io.kubernetes.pod.terminationGracePeriod';
export const ANNOTATION_PRESTOP_HANDLER = 'io.kubernetes.container.preStopHandler';
export const ANNOTATION_CONTAINER_PORTS = 'io.kubernetes.container.ports';

/** Pod annotations set by pod sources (upstream kubelet/types). */
export const ANNOTATION_CONFIG_SOURCE = 'kubernetes.io/config.source';
export const ANNOTATION_CONFIG_MIRROR = 'kubernetes.io/config.mirror';
export const ANNOTATION_CONFIG_HASH = 'kubernetes.io/config.hash';
export const ANNOTATION_CONFIG_SEEN = 'kubernetes.io/config.seen';

/** "name_namespace", the kubelet's pod full name (unique on a node). */
export function podFullName(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}`;
}

/** "namespace/name", for logs and messages. */
export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}

export function podUID(pod: Pod): string {
  return pod.metadata?.uid ?? '';
}

/** A pod from a file or http source (not the API server). */
export function isStaticPod(pod: Pod): boolean {
  const source = pod.metadata?.annotations?.[ANNOTATION_CONFIG_SOURCE];
  return source !== undefined && source !== '' && source !== 'api';
}

/** Static pods are critical (upstream kubelet/types IsCriticalPod), as are system-critical priorities. */
export function isCriticalPod(pod: Pod): boolean {
  if (isStaticPod(pod)) return true;
  return (pod.spec?.priority ?? 0) >= 2_000_000_000;
}

export function isHostNetwork(pod: Pod): boolean {
  return pod.spec?.hostNetwork === true;
}

/** terminationGracePeriodSeconds, defaulted to 30 as the API does. */
export function podGracePeriodSeconds(pod: Pod): number {
  const value = pod.spec?.terminationGracePeriodSeconds;
  return typeof value === 'number' && value >= 0 ? value : 30;
}

export function restartPolicy(pod: Pod): 'Always' | 'OnFailure' | 'Never' {
  const policy = pod.spec?.restartPolicy;
  return policy === 'OnFailure' || policy === 'Never' ? policy : 'Always';
}

/**
 * An init container with restartPolicy Always: a sidecar, started in init order and kept
 * running beside the app containers (upstream IsRestartableInitContainer).
 */
export function isRestartableInitContainer(container: Container): boolean {
  return container.restartPolicy === 'Always';
}

/** Whether the pod has a sidecar (upstream HasRestartableInitContainer). */
export function hasRestartableInitContainer(pod: Pod): boolean {
  return (pod.spec?.initContainers ?? []).some(isRestartableInitContainer);
}

/** Creation time in ms (0 when unknown): admission orders pods by it. */
export function podCreationTime(pod: Pod): number {
  const text = pod.metadata?.creationTimestamp;
  const ms = text ? Date.parse(String(text)) : Number.NaN;
  return Number.isFinite(ms) ? ms : 0;
}

/** The kubelet's pod log directory name: namespace_name_uid. */
export function podLogDirName(namespace: string, name: string, uid: string): string {
  return `${namespace}_${name}_${uid}`;
}
