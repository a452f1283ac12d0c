import type { Pod } from '@kernelet/sdk/common';

type NodeSelector = NonNullable<NonNullable<NonNullable<NonNullable<Pod['spec']>['affinity']>['nodeAffinity']>['requiredDuringSchedulingIgnoredDuringExecution']>;
type NodeSelectorTerm = NodeSelector['nodeSelectorTerms'][number];
type NodeSelectorRequirement = NonNullable<NodeSelectorTerm['matchExpressions']>[number];

/** What the node-affinity check looks at: the node's name (the metadata.name field) and labels. */
export interface AffinityNode {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * Whether the pod may run on the node by its spec.nodeSelector and its required node affinity
 * (upstream component-helpers GetRequiredNodeAffinity(pod).Match): every nodeSelector label
 * must be on the node with that value, and at least one nodeSelectorTerm must match. A term
 * matches when all its matchExpressions match the labels and all its matchFields match the
 * node's fields; an empty term, or one with a malformed requirement, matches nothing.
 */
export function matchesRequiredNodeAffinity(pod: Pod, node: AffinityNode): boolean {
  for (const [key, value] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (!Object.hasOwn(node.labels, key) || node.labels[key] !== value) return false;
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((term) => termMatches(term, node));
}

function termMatches(term: NodeSelectorTerm, node: AffinityNode): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  if (!expressions.every(isValidLabelRequirement) || !fields.every(isValidFieldRequirement)) return false;
  if (!expressions.every((r) => labelRequirementMatches(r, node.labels))) return false;
  // The only node field is metadata.name; a node without a name is not checked on fields (upstream).
  if (node.name === '') return true;
  const nodeFields: Record<string, string> = { 'metadata.name': node.name };
  return fields.every((r) => {
    const value = nodeFields[r.key] ?? '';
    return r.operator === 'In' ? value === r.values?.[0] : value !== r.values?.[0];
  });
}

/** upstream labels.Requirement.Matches for the node selector operators. */
function labelRequirementMatches(r: NodeSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key] ?? '';
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value);
    case 'NotIn':
      return !has || !values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      const actual = has ? parseInt64(value) : undefined;
      const bound = parseInt64(values[0] ?? '');
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

/** upstream labels.NewRequirement's checks: a valid key, and values as the operator wants them. */
function isValidLabelRequirement(r: NodeSelectorRequirement): boolean {
  if (!isQualifiedName(r.key)) return false;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      return values.length > 0 && values.every(isLabelValue);
    case 'Exists':
    case 'DoesNotExist':
      return values.length === 0;
    case 'Gt':
    case 'Lt':
      return values.length === 1 && parseInt64(values[0] ?? '') !== undefined;
    default:
      return false;
  }
}

/** Fields support In and NotIn with exactly one value. */
function isValidFieldRequirement(r: NodeSelectorRequirement): boolean {
  return (r.operator === 'In' || r.operator === 'NotIn') && (r.values ?? []).length === 1;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters. */
function isQualifiedName(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return false;
  }
  return name.length > 0 && name.length <= 63 && NAME.test(name);
}

function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && NAME.test(value));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, within int64. */
function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}
