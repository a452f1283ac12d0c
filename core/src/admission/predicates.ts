import type { Pod, Quantity } from '@kernelet/sdk/common';
import { admitted, rejected, type AdmitResult } from '../extension-points/admit-handler.js';
import { isCriticalPod } from '../pods/pod-naming.js';
import { hostPortsFit } from './host-ports.js';
import { matchesRequiredNodeAffinity } from './node-affinity.js';
import { insufficientMessage, insufficientReason, podFitsResources, type InsufficientResource } from './resource-fit.js';

/** The operating system kernelet runs pods on; upstream compares with runtime.GOOS. */
export const NODE_OS = 'linux';
export const LABEL_OS = 'kubernetes.io/os';

/** What the predicates look at: the node's name, labels and allocatable resources. */
export interface PredicateNode {
  name: string;
  labels: Readonly<Record<string, string>>;
  allocatable: ReadonlyMap<string, Quantity>;
}

/** A failed predicate other than resources: upstream PredicateFailureError (scheduler plugin name and reason). */
interface PredicateFailure {
  name: 'NodeAffinity' | 'NodeName' | 'NodePorts';
  reason: string;
}

type Failure = { resource: InsufficientResource } | { predicate: PredicateFailure };

/**
 * upstream scheduler AdmissionCheck with every failure kept, as the kubelet asks for it: node
 * resources (pods first, then cpu, memory, ephemeral-storage, others), then node affinity and
 * nodeSelector, then spec.nodeName, then host ports.
 */
function generalFilter(pod: Pod, others: readonly Pod[], node: PredicateNode): Failure[] {
  const failures: Failure[] = podFitsResources(pod, others, node.allocatable).map((resource) => ({ resource }));
  if (!matchesRequiredNodeAffinity(pod, node)) failures.push({ predicate: { name: 'NodeAffinity', reason: "node(s) didn't match Pod's node affinity/selector" } });
  const nodeName = pod.spec?.nodeName ?? '';
  if (nodeName !== '' && nodeName !== node.name) failures.push({ predicate: { name: 'NodeName', reason: "node(s) didn't match the requested node name" } });
  if (!hostPortsFit(pod, others)) failures.push({ predicate: { name: 'NodePorts', reason: "node(s) didn't have free ports for the requested pod ports" } });
  return failures;
}

/**
 * upstream predicateAdmitHandler.Admit: first the checks preemption could not help (the pod's
 * kubernetes.io/os label against the node's OS, then spec.os), then the general filter. Only
 * the first failure is reported: OutOf<resource> with "Node didn't have enough resource: ...",
 * or the predicate's name with "Predicate <name> failed: <reason>".
 *
 * A critical pod (every static pod is) cannot fail for resources upstream while anything else
 * fails, so its first non-resource failure wins; when resources are all that fail, upstream
 * tries to preempt other pods, which kernelet does not: the pod is rejected OutOf<resource>.
 */
export function admitByPredicates(pod: Pod, others: readonly Pod[], node: PredicateNode): AdmitResult {
  const podOS = pod.metadata?.labels?.[LABEL_OS];
  if (podOS !== undefined && podOS !== NODE_OS) {
    return rejected('PodOSSelectorNodeLabelDoesNotMatch', 'Failed to admit pod as the `kubernetes.io/os` label doesn\'t match node label');
  }
  const osField = pod.spec?.os;
  if (osField && osField.name !== NODE_OS) return rejected('PodOSNotSupported', "Failed to admit pod as the OS field doesn't match node OS");

  const failures = generalFilter(pod, others, node);
  const first = isCriticalPod(pod) ? (failures.find((f) => 'predicate' in f) ?? failures[0]) : failures[0];
  if (!first) return admitted;
  if ('resource' in first) return rejected(insufficientReason(first.resource), insufficientMessage(first.resource));
  return rejected(first.predicate.name, `Predicate ${first.predicate.name} failed: ${first.predicate.reason}`);
}
