/**
 * --node-labels: each key a qualified name, each value a label value, and labels in the
 * kubernetes.io / k8s.io namespaces limited to the ones a kubelet may set on its own node.
 */
import { keyPath, type ProblemList } from './problem.js';

const KUBELET_LABELS = [
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'kubernetes.io/os',
  'kubernetes.io/arch',
];
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function checkNodeLabels(labels: Readonly<Record<string, string>>, problems: ProblemList): void {
  for (const [key, value] of Object.entries(labels)) {
    const at = keyPath('--node-labels', key);
    const slash = key.indexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : '';
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if ((slash >= 0 && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) || name.length > 63 || !NAME.test(name)) {
      problems.add(at, `"${key}" is not a valid label key ([prefix/]name, name up to 63 characters of [A-Za-z0-9-_.])`);
    }
    if (value.length > 63 || (value !== '' && !NAME.test(value))) {
      problems.add(at, `"${value}" is not a valid label value (up to 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric)`);
    }
    if (isKubernetesNamespace(prefix) && !KUBELET_LABELS.includes(key) && !KUBELET_LABEL_NAMESPACES.some((ns) => prefix === ns || prefix.endsWith(`.${ns}`))) {
      problems.add(
        at,
        `"${key}" is in the kubernetes.io or k8s.io namespace; allowed there are the prefixes ${KUBELET_LABEL_NAMESPACES.join(', ')} and the labels ${KUBELET_LABELS.join(', ')}`,
      );
    }
  }
}

function isKubernetesNamespace(prefix: string): boolean {
  return ['kubernetes.io', 'k8s.io'].some((ns) => prefix === ns || prefix.endsWith(`.${ns}`));
}
