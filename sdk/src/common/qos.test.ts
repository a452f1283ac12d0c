import { describe, expect, it } from 'vitest';
import type { Container, Pod } from './k8s-types.js';
import { computePodQOSClass, podQOSClass } from './qos.js';

const container = (name: string, requests?: Record<string, string>, limits?: Record<string, string>): Container => ({
  name,
  resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) },
});
const pod = (containers: Container[], initContainers: Container[] = []): Pod => ({ spec: { containers, initContainers } });

describe('computePodQOSClass', () => {
  it.each([
    ['no resources', pod([container('a')]), 'BestEffort'],
    ['only zero quantities', pod([container('a', { cpu: '0' }, { memory: '0' })]), 'BestEffort'],
    ['only extended resources', pod([container('a', { 'vendor.com/gpu': '1' }, { 'vendor.com/gpu': '1' })]), 'BestEffort'],
    ['requests equal limits', pod([container('a', { cpu: '2', memory: '1Gi' }, { cpu: '2', memory: '1Gi' })]), 'Guaranteed'],
    ['equal in another notation', pod([container('a', { cpu: '2000m', memory: '1024Mi' }, { cpu: '2', memory: '1Gi' })]), 'Guaranteed'],
    ['requests below limits', pod([container('a', { cpu: '1', memory: '1Gi' }, { cpu: '2', memory: '1Gi' })]), 'Burstable'],
    ['limits without requests (not yet defaulted)', pod([container('a', undefined, { cpu: '1', memory: '1Gi' })]), 'Burstable'],
    ['one container lacks a memory limit', pod([container('a', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' }), container('b', { cpu: '1' }, { cpu: '1' })]), 'Burstable'],
    ['init container counted', pod([container('a', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })], [container('i', { cpu: '1' })]), 'Burstable'],
  ] as const)('%s -> %s', (_name, input, qos) => {
    expect(computePodQOSClass(input)).toBe(qos);
  });

  it('prefers the class recorded in the status', () => {
    expect(podQOSClass({ ...pod([container('a')]), status: { qosClass: 'Burstable' } })).toBe('Burstable');
  });
});
