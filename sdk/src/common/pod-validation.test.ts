import { describe, expect, it } from 'vitest';
import type { Pod } from './k8s-types.js';
import { applyPodDefaults } from './pod-defaults.js';
import { checkDNS1123Label, checkDNS1123Subdomain, checkPodShape, checkQualifiedName, validatePod } from './pod-validation.js';

describe('names', () => {
  it.each([
    ['web', true],
    ['web-1.node-a', true],
    ['a'.repeat(253), true],
    ['a'.repeat(254), false],
    ['Web', false],
    ['web_1', false],
    ['-web', false],
    ['web.', false],
  ])('subdomain %j valid: %s', (name, valid) => {
    expect(checkDNS1123Subdomain(name) === undefined).toBe(valid);
  });

  it.each([
    ['main', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['main.c', false],
    ['Main', false],
  ])('label %j valid: %s', (name, valid) => {
    expect(checkDNS1123Label(name) === undefined).toBe(valid);
  });

  it.each([
    ['app', true],
    ['kubernetes.io/config.hash', true],
    ['example.com/My_Key-1', true],
    ['/app', false],
    ['Example.com/app', false],
    ['app/', false],
    ['a/b/c', false],
  ])('qualified name %j valid: %s', (key, valid) => {
    expect(checkQualifiedName(key) === undefined).toBe(valid);
  });
});

describe('validatePod', () => {
  const pod = (spec: Record<string, unknown>) => applyPodDefaults({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } } as Pod);

  it('accepts a defaulted minimal pod', () => {
    expect(validatePod(pod({}))).toEqual([]);
  });

  it('accepts a sidecar (an init container with restartPolicy Always) with probes', () => {
    const sidecar = { name: 's', image: 'busybox', restartPolicy: 'Always', readinessProbe: { exec: { command: ['true'] } } };
    expect(validatePod(pod({ initContainers: [sidecar] }))).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['two sources in a volume', { volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }] }, 'spec.volumes[0]: may name only one volume source, names hostPath, emptyDir'],
    ['a duplicate volume', { volumes: [{ name: 'v' }, { name: 'v' }] }, 'spec.volumes[1].name: duplicate volume name "v"'],
    ['a hostPort unlike the containerPort with hostNetwork', { hostNetwork: true, containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80, hostPort: 81 }] }] }, 'spec.containers[0].ports[0].hostPort: must equal containerPort 80 when hostNetwork is true, is 81'],
    ['a probe without handler', { containers: [{ name: 'c', image: 'busybox', livenessProbe: { periodSeconds: 5 } }] }, 'spec.containers[0].livenessProbe: must name one handler'],
    ['a liveness successThreshold other than 1', { containers: [{ name: 'c', image: 'busybox', livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 } }] }, 'spec.containers[0].livenessProbe.successThreshold: must be 1, is 2'],
    ['a probe on a plain init container', { initContainers: [{ name: 'i', image: 'busybox', readinessProbe: { exec: { command: ['true'] } } }] }, 'spec.initContainers[0].readinessProbe: may not be set on an init container'],
    ['a negative grace period', { terminationGracePeriodSeconds: -1 }, 'spec.terminationGracePeriodSeconds: must be 0 or more, is -1'],
    ['a mount path used twice', { volumes: [{ name: 'v' }], containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'v', mountPath: '/d' }, { name: 'v', mountPath: '/d' }] }] }, 'spec.containers[0].volumeMounts[1].mountPath: "/d" is mounted twice'],
    ['a bad port name', { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80, name: 'http-port-number-one' }] }] }, 'spec.containers[0].ports[0].name: invalid value "http-port-number-one"'],
    ['an env name with =', { containers: [{ name: 'c', image: 'busybox', env: [{ name: 'A=B', value: 'x' }] }] }, 'spec.containers[0].env[0].name: invalid value "A=B"'],
    ['an init container restartPolicy other than Always', { initContainers: [{ name: 'i', image: 'busybox', restartPolicy: 'Never' }] }, 'spec.initContainers[0].restartPolicy: unsupported value "Never" (want Always, or none)'],
    ['a restartPolicy on an app container', { containers: [{ name: 'c', image: 'busybox', restartPolicy: 'Always' }] }, 'spec.containers[0].restartPolicy: may be set only on init containers'],
  ])('refuses %s', (_name, spec, message) => {
    expect(validatePod(pod(spec))).toEqual([expect.stringContaining(message)]);
  });
});

describe('checkPodShape', () => {
  it.each<[string, unknown, string]>([
    ['a port as text', { spec: { containers: [{ name: 'c', ports: [{ containerPort: '80' }] }] } }, 'spec.containers[0].ports[0].containerPort: want a whole number, got the string "80"'],
    ['a fractional grace period', { spec: { terminationGracePeriodSeconds: 1.5 } }, 'spec.terminationGracePeriodSeconds: want a whole number, got the number 1.5'],
    ['labels as a list', { metadata: { labels: ['a'] } }, 'metadata.labels: want a mapping, got a list'],
    ['a label value as a number', { metadata: { labels: { tier: 1 } } }, 'metadata.labels.tier: want a string, got the number 1 (quote it)'],
    ['an annotation key with a slash', { metadata: { annotations: { 'example.com/x': false } } }, 'metadata.annotations["example.com/x"]: want a string, got the boolean false (quote it)'],
  ])('names %s', (_name, manifest, message) => {
    expect(checkPodShape(manifest)).toEqual([message]);
  });

  it('treats null as absent and leaves unknown fields alone', () => {
    expect(checkPodShape({ metadata: { labels: null }, spec: { containers: null, futureField: [1, 'x'] } })).toEqual([]);
  });
});
