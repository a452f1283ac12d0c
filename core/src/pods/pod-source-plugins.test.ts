import { describe, expect, it } from 'vitest';
import type { AgentOptions } from '../config/agent-options.js';
import { effectivePlugins, expectedPodSources } from './pod-source-plugins.js';

const options = (kubelet: Partial<AgentOptions['kubelet']>, plugins: string[] = []) =>
  ({ kubelet: kubelet as AgentOptions['kubelet'], kernelet: { plugins } as unknown as AgentOptions['kernelet'] }) as Pick<AgentOptions, 'kubelet' | 'kernelet'>;

describe('effectivePlugins', () => {
  it.each([
    ['nothing configured', {}, [], []],
    ['staticPodPath adds file-source', { staticPodPath: '/etc/kubernetes/manifests' }, [], ['file-source']],
    ['both sources', { staticPodPath: '/m', staticPodURL: 'http://x/pods' }, [], ['file-source', 'http-source']],
    ['an explicit list gets the configured source added', { staticPodPath: '/m' }, ['cpu-manager'], ['cpu-manager', 'file-source']],
    ['an explicit list naming the source', { staticPodPath: '/m' }, ['file-source', 'cpu-manager'], ['file-source', 'cpu-manager']],
    ['a source named by module specifier', { staticPodURL: 'http://x' }, ['@kernelet/plugin-http-source'], ['@kernelet/plugin-http-source']],
    ['no source without its setting', {}, ['cpu-manager'], ['cpu-manager']],
  ])('%s', (_name, kubelet, plugins, want) => {
    expect(effectivePlugins(options(kubelet, plugins))).toEqual(want);
  });

  it('expects the sources the configuration names', () => {
    expect(expectedPodSources(options({ staticPodPath: '/m', staticPodURL: 'http://x' }))).toEqual(['file', 'http']);
    expect(expectedPodSources(options({}))).toEqual([]);
  });
});
