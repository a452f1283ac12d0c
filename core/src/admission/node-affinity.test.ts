import { describe, expect, it } from 'vitest';
import type { Pod } from '@kernelet/sdk/common';
import { matchesRequiredNodeAffinity, type AffinityNode } from './node-affinity.js';

const node: AffinityNode = {
  name: 'node-a',
  labels: { 'kubernetes.io/hostname': 'node-a', 'kubernetes.io/os': 'linux', disktype: 'ssd', 'example.com/cores': '16', empty: '' },
};

type Spec = NonNullable<Pod['spec']>;
type Term = NonNullable<NonNullable<NonNullable<Spec['affinity']>['nodeAffinity']>['requiredDuringSchedulingIgnoredDuringExecution']>['nodeSelectorTerms'][number];
type Req = { key: string; operator: string; values?: string[] };

function pod(spec: { nodeSelector?: Record<string, string>; terms?: Term[] }): Pod {
  return {
    metadata: { name: 'p' },
    spec: {
      containers: [{ name: 'c' }],
      ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
      ...(spec.terms ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: spec.terms } } } } : {}),
    },
  };
}
const exprs = (...matchExpressions: Req[]): Term => ({ matchExpressions });
const fields = (...matchFields: Req[]): Term => ({ matchFields });

describe('matchesRequiredNodeAffinity', () => {
  it.each<[string, Pod, boolean]>([
    ['no selector, no affinity', pod({}), true],
    ['nodeSelector matches', pod({ nodeSelector: { disktype: 'ssd', 'kubernetes.io/os': 'linux' } }), true],
    ['nodeSelector value differs', pod({ nodeSelector: { disktype: 'hdd' } }), false],
    ['nodeSelector label missing', pod({ nodeSelector: { gpu: 'true' } }), false],
    ['nodeSelector asks for an empty value the node has', pod({ nodeSelector: { empty: '' } }), true],
    ['nodeSelector asks for an empty value the node lacks', pod({ nodeSelector: { absent: '' } }), false],
    ['In', pod({ terms: [exprs({ key: 'disktype', operator: 'In', values: ['hdd', 'ssd'] })] }), true],
    ['In, value not listed', pod({ terms: [exprs({ key: 'disktype', operator: 'In', values: ['hdd'] })] }), false],
    ['In, label missing', pod({ terms: [exprs({ key: 'gpu', operator: 'In', values: ['true'] })] }), false],
    ['NotIn, label missing', pod({ terms: [exprs({ key: 'gpu', operator: 'NotIn', values: ['true'] })] }), true],
    ['NotIn, value listed', pod({ terms: [exprs({ key: 'disktype', operator: 'NotIn', values: ['ssd'] })] }), false],
    ['Exists', pod({ terms: [exprs({ key: 'disktype', operator: 'Exists' })] }), true],
    ['Exists, label missing', pod({ terms: [exprs({ key: 'gpu', operator: 'Exists' })] }), false],
    ['DoesNotExist', pod({ terms: [exprs({ key: 'gpu', operator: 'DoesNotExist' })] }), true],
    ['DoesNotExist, label present', pod({ terms: [exprs({ key: 'disktype', operator: 'DoesNotExist' })] }), false],
    ['Gt', pod({ terms: [exprs({ key: 'example.com/cores', operator: 'Gt', values: ['8'] })] }), true],
    ['Gt, equal', pod({ terms: [exprs({ key: 'example.com/cores', operator: 'Gt', values: ['16'] })] }), false],
    ['Lt', pod({ terms: [exprs({ key: 'example.com/cores', operator: 'Lt', values: ['+32'] })] }), true],
    ['Gt on a label that is not a number', pod({ terms: [exprs({ key: 'disktype', operator: 'Gt', values: ['1'] })] }), false],
    ['Gt with a value that is not a number (malformed)', pod({ terms: [exprs({ key: 'example.com/cores', operator: 'Gt', values: ['x'] })] }), false],
    ['Gt with two values (malformed)', pod({ terms: [exprs({ key: 'example.com/cores', operator: 'Gt', values: ['1', '2'] })] }), false],
    ['In without values (malformed)', pod({ terms: [exprs({ key: 'disktype', operator: 'In', values: [] })] }), false],
    ['Exists with values (malformed)', pod({ terms: [exprs({ key: 'disktype', operator: 'Exists', values: ['ssd'] })] }), false],
    ['unknown operator', pod({ terms: [exprs({ key: 'disktype', operator: 'Equals', values: ['ssd'] })] }), false],
    ['invalid key', pod({ terms: [exprs({ key: 'Bad Key', operator: 'Exists' })] }), false],
    ['all expressions of a term must match', pod({ terms: [exprs({ key: 'disktype', operator: 'In', values: ['ssd'] }, { key: 'gpu', operator: 'Exists' })] }), false],
    ['terms are ORed', pod({ terms: [exprs({ key: 'gpu', operator: 'Exists' }), exprs({ key: 'disktype', operator: 'Exists' })] }), true],
    ['a malformed term does not stop a later one', pod({ terms: [exprs({ key: 'x', operator: 'Bogus' }), exprs({ key: 'disktype', operator: 'Exists' })] }), true],
    ['an empty term matches nothing', pod({ terms: [{}] }), false],
    ['no terms match nothing', pod({ terms: [] }), false],
    ['matchFields metadata.name In', pod({ terms: [fields({ key: 'metadata.name', operator: 'In', values: ['node-a'] })] }), true],
    ['matchFields metadata.name In another node', pod({ terms: [fields({ key: 'metadata.name', operator: 'In', values: ['node-b'] })] }), false],
    ['matchFields metadata.name NotIn another node', pod({ terms: [fields({ key: 'metadata.name', operator: 'NotIn', values: ['node-b'] })] }), true],
    ['matchFields with two values (malformed)', pod({ terms: [fields({ key: 'metadata.name', operator: 'In', values: ['node-a', 'node-b'] })] }), false],
    ['matchFields and matchExpressions are ANDed', pod({ terms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-a'] }], matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }] }), false],
    ['nodeSelector and affinity must both match', pod({ nodeSelector: { disktype: 'hdd' }, terms: [exprs({ key: 'disktype', operator: 'Exists' })] }), false],
  ])('%s', (_name, p, want) => expect(matchesRequiredNodeAffinity(p, node)).toBe(want));
});
