import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '@kernelet/sdk/common';
import { podResourceConfig } from './pod-cgroups.js';

const options = { cpuCFSQuota: true, cpuPeriodUs: 100_000, podPidsLimit: -1 };
const c = (name: string, cpu: string, memory: string, restartPolicy?: string): Container => ({
  name,
  resources: { requests: { cpu, memory }, limits: { cpu, memory } },
  ...(restartPolicy ? { restartPolicy } : {}),
});

describe('podResourceConfig', () => {
  it('limits a pod with a sidecar to the apps plus the sidecar, or an init container plus the sidecars before it', () => {
    const pod: Pod = { spec: { containers: [c('a', '1', '1Gi')], initContainers: [c('side', '500m', '512Mi', 'Always'), c('init', '2', '256Mi')] } };
    // cpu: max(1 + 0.5, 2 + 0.5) = 2.5; memory: max(1Gi + 512Mi, 256Mi + 512Mi) = 1536Mi.
    expect(podResourceConfig(pod, options)).toEqual({ cpuShares: 2560, cpuQuota: 250_000, cpuPeriod: 100_000, memoryLimitBytes: 1536 * 1024 * 1024, pidsLimit: 0 });
  });

  it('sets no pod limit when one container has none', () => {
    const pod: Pod = { spec: { containers: [c('a', '1', '1Gi')], initContainers: [{ name: 'side', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } }] } };
    expect(podResourceConfig(pod, options)).toMatchObject({ cpuQuota: 0, memoryLimitBytes: 0 });
  });
});
