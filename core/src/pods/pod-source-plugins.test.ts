import { describe, expect, it } from 'vitest';
import type { AgentOptions } from '../config/agent-options.js';
import { effectivePlugins, expectedPodSources } from './pod-source-plugins.js';

const options = (kubelet: Partial<AgentOptions['kubelet']>, plugins: string[] = []) =>
  ({ kubelet: kubelet as AgentOptions['kubelet'], kernelet: { plugins } as unknown as AgentOptions['kernelet'] }) as Pick<AgentOptions, 'kubelet' | 'kernelet'>;

describe('effectivePlugins', () => {
  it.each([
    ['nothing configured', {}, [], [], 0],
    ['staticPodPath adds file-source', { staticPodPath: '/etc/kubernetes/manifests' }, [], ['file-source'], 0],
    ['both sources', { staticPodPath: '/m', staticPodURL: 'http://x/pods' }, [], ['file-source', 'http-source'], 0],
    ['an explicit list is kept, with a warning for the missing source', { staticPodPath: '/m' }, ['cpu-manager'], ['cpu-manager'], 1],
    ['an explicit list naming the source', { staticPodPath: '/m' }, ['cpu-manager', 'file-source'], ['cpu-manager', 'file-source'], 0],
  ])('%s', (_name, kubelet, plugins, want, warnings) => {
    const got = effectivePlugins(options(kubelet, plugins));
    expect(got.plugins).toEqual(want);
    expect(got.warnings).toHaveLength(warnings);
  });

  it('expects the sources the configuration names', () => {
    expect(expectedPodSources(options({ staticPodPath: '/m', staticPodURL: 'http://x' }))).toEqual(['file', 'http']);
    expect(expectedPodSources(options({}))).toEqual([]);
  });
});
