import { describe, expect, it } from 'vitest';
import type { Container, Pod } from './k8s-types.js';
import { podLimits, podRequests } from './pod-requests.js';

const c = (name: string, cpu: string, memory: string, restartPolicy?: string): Container => ({
  name,
  resources: { requests: { cpu, memory } },
  ...(restartPolicy ? { restartPolicy } : {}),
});

function requestsOf(pod: Pod): Record<string, string> {
  return Object.fromEntries([...podRequests(pod)].map(([k, q]) => [k, q.toString()]));
}

describe('podRequests', () => {
  it('sums app containers', () => {
    expect(requestsOf({ spec: { containers: [c('a', '1', '1Gi'), c('b', '500m', '512Mi')] } })).toEqual({ cpu: '1500m', memory: '1536Mi' });
  });

  it('takes the larger of the app sum and the largest init container', () => {
    const pod: Pod = { spec: { containers: [c('a', '1', '1Gi')], initContainers: [c('i1', '3', '512Mi'), c('i2', '500m', '2Gi')] } };
    expect(requestsOf(pod)).toEqual({ cpu: '3', memory: '2Gi' });
  });

  it('adds sidecars to the app sum and to every later init container', () => {
    const pod: Pod = {
      spec: {
        containers: [c('a', '1', '1Gi')],
        initContainers: [c('sidecar', '1', '1Gi', 'Always'), c('late-init', '2', '256Mi')],
      },
    };
    // app + sidecar = 2 cpu / 2Gi; late init + sidecar = 3 cpu / 1280Mi.
    expect(requestsOf(pod)).toEqual({ cpu: '3', memory: '2Gi' });
  });

  it('counts each regular init container with the sidecars defined before it only', () => {
    // The sidecar-containers docs' rule: max(apps + all sidecars, max over init containers of itself + the sidecars before it).
    const pod: Pod = {
      spec: {
        containers: [c('a', '1', '1Gi')],
        initContainers: [c('side1', '1', '100Mi', 'Always'), c('init2', '5', '100Mi'), c('side3', '2', '100Mi', 'Always'), c('init4', '1', '3Gi')],
      },
    };
    // apps + sidecars = 4 cpu / 1224Mi; init2 + side1 = 6 cpu / 200Mi; init4 + side1 + side3 = 4 cpu / 3272Mi.
    expect(requestsOf(pod)).toEqual({ cpu: '6', memory: '3272Mi' });
  });

  it('keeps a sidecar after every regular init container in the app sum only', () => {
    const pod: Pod = { spec: { containers: [c('a', '1', '1Gi')], initContainers: [c('init', '2', '1Gi'), c('side', '2', '1Gi', 'Always')] } };
    // apps + sidecar = 3 cpu / 2Gi; the init container runs before the sidecar: 2 cpu / 1Gi.
    expect(requestsOf(pod)).toEqual({ cpu: '3', memory: '2Gi' });
  });

  it('adds pod overhead', () => {
    expect(requestsOf({ spec: { containers: [c('a', '1', '1Gi')], overhead: { cpu: '250m' } } })).toEqual({ cpu: '1250m', memory: '1Gi' });
  });
});

describe('podLimits', () => {
  const limited = (name: string, cpu: string, restartPolicy?: string): Container => ({ name, resources: { limits: { cpu } }, ...(restartPolicy ? { restartPolicy } : {}) });
  const limitsOf = (pod: Pod) => Object.fromEntries([...podLimits(pod)].map(([k, q]) => [k, q.toString()]));

  it('aggregates sidecars as requests do', () => {
    const pod: Pod = { spec: { containers: [limited('a', '1')], initContainers: [limited('side', '1', 'Always'), limited('init', '3')] } };
    // apps + sidecar = 2; init + sidecar = 4.
    expect(limitsOf(pod)).toEqual({ cpu: '4' });
  });

  it('adds overhead only to resources that have a limit', () => {
    expect(limitsOf({ spec: { containers: [limited('a', '1')], overhead: { cpu: '250m', memory: '64Mi' } } })).toEqual({ cpu: '1250m' });
  });
});
