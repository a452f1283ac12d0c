import { describe, expect, it } from 'vitest';
import { Quantity, type Pod } from '@kernelet/sdk/common';
import type { AdmitResult } from '../extension-points/admit-handler.js';
import { admitByPredicates, type PredicateNode } from './predicates.js';

const node: PredicateNode = {
  name: 'node-a',
  labels: { 'kubernetes.io/hostname': 'node-a', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', disktype: 'ssd' },
  allocatable: new Map([
    ['cpu', Quantity.parse('2')],
    ['memory', Quantity.parse('4Gi')],
    ['pods', Quantity.parse('110')],
  ]),
};

interface PodOptions {
  cpu?: string;
  hostPort?: number;
  nodeSelector?: Record<string, string>;
  nodeName?: string;
  osLabel?: string;
  os?: string;
  static?: boolean;
}

function pod(name: string, o: PodOptions = {}): Pod {
  return {
    metadata: {
      name,
      uid: name,
      ...(o.static === false ? {} : { annotations: { 'kubernetes.io/config.source': 'file' } }),
      ...(o.osLabel ? { labels: { 'kubernetes.io/os': o.osLabel } } : {}),
    },
    spec: {
      containers: [{ name: 'c', ...(o.cpu ? { resources: { requests: { cpu: o.cpu } } } : {}), ...(o.hostPort ? { ports: [{ containerPort: o.hostPort, hostPort: o.hostPort, protocol: 'TCP' }] } : {}) }],
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.os ? { os: { name: o.os } } : {}),
    },
  };
}

const reject = (reason: string, message: string): AdmitResult => ({ admit: false, reason, message });
const AFFINITY = reject('NodeAffinity', "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector");
const PORTS = reject('NodePorts', "Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports");
const CPU = reject('OutOfcpu', "Node didn't have enough resource: cpu, requested: 3000, used: 0, capacity: 2000");

describe('admitByPredicates', () => {
  it.each<[string, Pod, Pod[], AdmitResult]>([
    ['fits', pod('p', { cpu: '1', hostPort: 80, nodeSelector: { disktype: 'ssd' }, nodeName: 'node-a', osLabel: 'linux', os: 'linux' }), [pod('a', { hostPort: 81 })], { admit: true }],
    ['kubernetes.io/os label of another OS', pod('p', { osLabel: 'windows' }), [], reject('PodOSSelectorNodeLabelDoesNotMatch', "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label")],
    ['spec.os of another OS', pod('p', { os: 'windows' }), [], reject('PodOSNotSupported', "Failed to admit pod as the OS field doesn't match node OS")],
    ['the OS label is checked before spec.os and resources', pod('p', { osLabel: 'windows', os: 'windows', cpu: '3' }), [], reject('PodOSSelectorNodeLabelDoesNotMatch', "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label")],
    ['spec.os is checked before resources', pod('p', { os: 'windows', cpu: '3' }), [], reject('PodOSNotSupported', "Failed to admit pod as the OS field doesn't match node OS")],
    ['nodeSelector the node does not match', pod('p', { nodeSelector: { disktype: 'hdd' } }), [], AFFINITY],
    ['spec.nodeName of another node', pod('p', { nodeName: 'node-b' }), [], reject('NodeName', "Predicate NodeName failed: node(s) didn't match the requested node name")],
    ['host port taken by an admitted pod', pod('p', { hostPort: 80 }), [pod('a', { hostPort: 80 })], PORTS],
    ['not enough cpu', pod('p', { cpu: '3' }), [], CPU],
    // A static pod is critical upstream: resources never decide while another predicate fails.
    ['static pod: node affinity wins over resources', pod('p', { cpu: '3', nodeSelector: { disktype: 'hdd' } }), [], AFFINITY],
    ['static pod: host ports win over resources', pod('p', { cpu: '3', hostPort: 80 }), [pod('a', { hostPort: 80 })], PORTS],
    ['static pod: affinity is reported before host ports', pod('p', { hostPort: 80, nodeSelector: { disktype: 'hdd' } }), [pod('a', { hostPort: 80 })], AFFINITY],
    ['pod from the API server: resources come first', pod('p', { cpu: '3', hostPort: 80, static: false }), [pod('a', { hostPort: 80 })], CPU],
  ])('%s', (_name, p, others, want) => expect(admitByPredicates(p, others, node)).toEqual(want));
});
