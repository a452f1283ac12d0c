import { describe, expect, it } from 'vitest';
import type { Pod } from './k8s-types.js';
import { applyPodDefaults, applyPriorityAdmission, defaultPullPolicy, splitImageReference } from './pod-defaults.js';

const IMAGE = 'localhost/kernelet-test/busybox:v1';

function pod(spec: Record<string, unknown> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: IMAGE }], ...spec } } as Pod;
}

/** Reads "spec.containers[0].ports[0].protocol" out of a value. */
function at(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '')) {
    if (current === undefined || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

const probe = { exec: { command: ['true'] } };

describe('applyPodDefaults fills what the API server fills', () => {
  it.each<[string, Record<string, unknown>, string, unknown]>([
    ['restartPolicy', {}, 'spec.restartPolicy', 'Always'],
    ['terminationGracePeriodSeconds', {}, 'spec.terminationGracePeriodSeconds', 30],
    ['dnsPolicy', {}, 'spec.dnsPolicy', 'ClusterFirst'],
    ['schedulerName', {}, 'spec.schedulerName', 'default-scheduler'],
    ['securityContext', {}, 'spec.securityContext', {}],
    ['enableServiceLinks', {}, 'spec.enableServiceLinks', true],
    ['terminationMessagePath', {}, 'spec.containers[0].terminationMessagePath', '/dev/termination-log'],
    ['terminationMessagePolicy', {}, 'spec.containers[0].terminationMessagePolicy', 'File'],
    ['imagePullPolicy for a tag', {}, 'spec.containers[0].imagePullPolicy', 'IfNotPresent'],
    ['imagePullPolicy for :latest', { containers: [{ name: 'c', image: 'busybox:latest' }] }, 'spec.containers[0].imagePullPolicy', 'Always'],
    ['imagePullPolicy without a tag', { containers: [{ name: 'c', image: 'busybox' }] }, 'spec.containers[0].imagePullPolicy', 'Always'],
    ['init container defaults too', { initContainers: [{ name: 'i', image: 'busybox' }] }, 'spec.initContainers[0].imagePullPolicy', 'Always'],
    ['init container terminationMessagePath', { initContainers: [{ name: 'i', image: IMAGE }] }, 'spec.initContainers[0].terminationMessagePath', '/dev/termination-log'],
    ['port protocol', { containers: [{ name: 'c', image: IMAGE, ports: [{ containerPort: 80 }] }] }, 'spec.containers[0].ports[0].protocol', 'TCP'],
    ['hostPort with hostNetwork', { hostNetwork: true, containers: [{ name: 'c', image: IMAGE, ports: [{ containerPort: 80 }] }] }, 'spec.containers[0].ports[0].hostPort', 80],
    ['no hostPort without hostNetwork', { containers: [{ name: 'c', image: IMAGE, ports: [{ containerPort: 80 }] }] }, 'spec.containers[0].ports[0].hostPort', undefined],
    [
      'requests from limits',
      { containers: [{ name: 'c', image: IMAGE, resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '100m' } } }] },
      'spec.containers[0].resources.requests',
      { cpu: '100m', memory: '64Mi' },
    ],
    ['quantities canonical and rounded up to milli', { containers: [{ name: 'c', image: IMAGE, resources: { limits: { cpu: 0.0001, memory: '1024Mi' } } }] }, 'spec.containers[0].resources.limits', { cpu: '1m', memory: '1Gi' }],
    ['env fieldRef apiVersion', { containers: [{ name: 'c', image: IMAGE, env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] }] }, 'spec.containers[0].env[0].valueFrom.fieldRef.apiVersion', 'v1'],
    ['probe timeoutSeconds', { containers: [{ name: 'c', image: IMAGE, livenessProbe: probe }] }, 'spec.containers[0].livenessProbe.timeoutSeconds', 1],
    ['probe periodSeconds', { containers: [{ name: 'c', image: IMAGE, readinessProbe: probe }] }, 'spec.containers[0].readinessProbe.periodSeconds', 10],
    ['probe successThreshold', { containers: [{ name: 'c', image: IMAGE, startupProbe: probe }] }, 'spec.containers[0].startupProbe.successThreshold', 1],
    ['probe failureThreshold', { containers: [{ name: 'c', image: IMAGE, livenessProbe: probe }] }, 'spec.containers[0].livenessProbe.failureThreshold', 3],
    ['probe httpGet path and scheme', { containers: [{ name: 'c', image: IMAGE, livenessProbe: { httpGet: { port: 8080 } } }] }, 'spec.containers[0].livenessProbe.httpGet', { port: 8080, path: '/', scheme: 'HTTP' }],
    ['probe grpc service', { containers: [{ name: 'c', image: IMAGE, livenessProbe: { grpc: { port: 9000 } } }] }, 'spec.containers[0].livenessProbe.grpc.service', ''],
    ['preStop httpGet', { containers: [{ name: 'c', image: IMAGE, lifecycle: { preStop: { httpGet: { port: 80 } } } }] }, 'spec.containers[0].lifecycle.preStop.httpGet.scheme', 'HTTP'],
    ['volume without a source is an emptyDir', { volumes: [{ name: 'v' }] }, 'spec.volumes[0].emptyDir', {}],
    ['hostPath type', { volumes: [{ name: 'v', hostPath: { path: '/data' } }] }, 'spec.volumes[0].hostPath.type', ''],
    ['downwardAPI defaultMode', { volumes: [{ name: 'v', downwardAPI: { items: [] } }] }, 'spec.volumes[0].downwardAPI.defaultMode', 0o644],
    ['downwardAPI fieldRef apiVersion', { volumes: [{ name: 'v', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } }] }, 'spec.volumes[0].downwardAPI.items[0].fieldRef.apiVersion', 'v1'],
    ['projected defaultMode', { volumes: [{ name: 'v', projected: { sources: [] } }] }, 'spec.volumes[0].projected.defaultMode', 0o644],
    ['configMap defaultMode', { volumes: [{ name: 'v', configMap: { name: 'cm' } }] }, 'spec.volumes[0].configMap.defaultMode', 0o644],
    ['secret defaultMode', { volumes: [{ name: 'v', secret: { secretName: 's' } }] }, 'spec.volumes[0].secret.defaultMode', 0o644],
    ['rbd pool', { volumes: [{ name: 'v', rbd: { monitors: ['m'], image: 'i' } }] }, 'spec.volumes[0].rbd.pool', 'rbd'],
    ['iscsi interface', { volumes: [{ name: 'v', iscsi: { targetPortal: 't', iqn: 'q', lun: 0 } }] }, 'spec.volumes[0].iscsi.iscsiInterface', 'default'],
  ])('%s', (_name, spec, path, expected) => {
    expect(at(applyPodDefaults(pod(spec)), path)).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>, string, unknown]>([
    ['restartPolicy', { restartPolicy: 'Never' }, 'spec.restartPolicy', 'Never'],
    ['terminationGracePeriodSeconds 0', { terminationGracePeriodSeconds: 0 }, 'spec.terminationGracePeriodSeconds', 0],
    ['dnsPolicy', { dnsPolicy: 'Default' }, 'spec.dnsPolicy', 'Default'],
    ['enableServiceLinks false', { enableServiceLinks: false }, 'spec.enableServiceLinks', false],
    ['imagePullPolicy', { containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Never' }] }, 'spec.containers[0].imagePullPolicy', 'Never'],
    ['probe timeoutSeconds', { containers: [{ name: 'c', image: IMAGE, livenessProbe: { ...probe, timeoutSeconds: 5 } }] }, 'spec.containers[0].livenessProbe.timeoutSeconds', 5],
    ['port protocol', { containers: [{ name: 'c', image: IMAGE, ports: [{ containerPort: 53, protocol: 'UDP' }] }] }, 'spec.containers[0].ports[0].protocol', 'UDP'],
    ['hostPath type', { volumes: [{ name: 'v', hostPath: { path: '/d', type: 'Directory' } }] }, 'spec.volumes[0].hostPath.type', 'Directory'],
  ])('keeps a value the manifest sets: %s', (_name, spec, path, expected) => {
    expect(at(applyPodDefaults(pod(spec)), path)).toEqual(expected);
  });

  it('leaves its argument untouched and keeps fields it does not know', () => {
    const input = pod({ futureField: { x: 1 } });
    const before = structuredClone(input);
    const out = applyPodDefaults(input);
    expect(input).toEqual(before);
    expect(at(out, 'spec.futureField')).toEqual({ x: 1 });
  });

  it('gives no ephemeral container requests from limits (pods and init containers only)', () => {
    const out = applyPodDefaults(pod({ ephemeralContainers: [{ name: 'e', image: IMAGE, resources: { limits: { cpu: '1' } } }] }));
    expect(at(out, 'spec.ephemeralContainers[0].resources.requests')).toBeUndefined();
    expect(at(out, 'spec.ephemeralContainers[0].terminationMessagePolicy')).toBe('File');
  });
});

describe('applyPodDefaults leaves priority to the Priority admission plugin', () => {
  it.each<[string, Record<string, unknown>]>([
    ['no class', {}],
    ['a built-in class', { priorityClassName: 'system-node-critical' }],
  ])('%s: no spec.priority, no preemptionPolicy', (_name, spec) => {
    const out = applyPodDefaults(pod(spec));
    expect(at(out, 'spec.priority')).toBeUndefined();
    expect(at(out, 'spec.preemptionPolicy')).toBeUndefined();
  });
});

describe('applyPriorityAdmission sets what the Priority admission plugin sets', () => {
  it.each<[string, Record<string, unknown>, string, unknown]>([
    ['priority without a class', {}, 'spec.priority', 0],
    ['preemptionPolicy without a class', {}, 'spec.preemptionPolicy', 'PreemptLowerPriority'],
    ['priority of system-node-critical', { priorityClassName: 'system-node-critical' }, 'spec.priority', 2_000_001_000],
    ['priority of system-cluster-critical', { priorityClassName: 'system-cluster-critical' }, 'spec.priority', 2_000_000_000],
    ['no priority for an unknown class', { priorityClassName: 'gold' }, 'spec.priority', undefined],
    ['keeps a priority the manifest sets', { priority: 7, priorityClassName: 'system-node-critical' }, 'spec.priority', 7],
    ['keeps a preemptionPolicy the manifest sets', { preemptionPolicy: 'Never' }, 'spec.preemptionPolicy', 'Never'],
  ])('%s', (_name, spec, path, expected) => {
    expect(at(applyPriorityAdmission(pod(spec)), path)).toEqual(expected);
  });
});

describe('image pull policy by reference', () => {
  it.each([
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['docker.io/library/busybox:latest', 'Always'],
    ['busybox:1.36', 'IfNotPresent'],
    ['localhost:5000/busybox', 'Always'],
    ['localhost:5000/busybox:v1', 'IfNotPresent'],
    ['busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
    ['busybox:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'Always'],
  ])('%s -> %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });

  it('tells a registry port from a tag', () => {
    expect(splitImageReference('registry:5000/team/app')).toEqual({ name: 'registry:5000/team/app' });
    expect(splitImageReference('registry:5000/team/app:2@sha256:ab')).toEqual({ name: 'registry:5000/team/app', tag: '2', digest: 'sha256:ab' });
  });
});
