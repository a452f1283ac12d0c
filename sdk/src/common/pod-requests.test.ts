import { describe, expect, it } from 'vitest';
import type { Container, Pod } from './k8s-types.js';
import { podRequests } from './pod-requests.js';

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

  it('adds pod overhead', () => {
    expect(requestsOf({ spec: { containers: [c('a', '1', '1Gi')], overhead: { cpu: '250m' } } })).toEqual({ cpu: '1250m', memory: '1Gi' });
  });
});
