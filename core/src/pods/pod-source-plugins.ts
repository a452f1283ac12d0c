import type { AgentOptions } from '../config/agent-options.js';

/** The first-party plugins serving the kubelet's own pod sources. */
export const FILE_SOURCE_PLUGIN = 'file-source';
export const HTTP_SOURCE_PLUGIN = 'http-source';

/** The pod sources the configuration asks for, by upstream source name. */
export function expectedPodSources(options: Pick<AgentOptions, 'kubelet'>): string[] {
  const sources: string[] = [];
  if (options.kubelet.staticPodPath) sources.push('file');
  if (options.kubelet.staticPodURL) sources.push('http');
  return sources;
}

/**
 * The plugin set the agent runs. When the operator did not list plugins, the pod sources the
 * configuration asks for are added: file-source when staticPodPath is set, http-source when
 * staticPodURL is. An explicit plugin list is taken as written (the operator may run a
 * source another way); a configured source missing from it is reported as a warning.
 */
export function effectivePlugins(options: Pick<AgentOptions, 'kubelet' | 'kernelet'>): { plugins: string[]; warnings: string[] } {
  const listed = options.kernelet.plugins;
  const wanted: [string, string][] = [];
  if (options.kubelet.staticPodPath) wanted.push([FILE_SOURCE_PLUGIN, 'staticPodPath']);
  if (options.kubelet.staticPodURL) wanted.push([HTTP_SOURCE_PLUGIN, 'staticPodURL']);
  if (listed.length === 0) return { plugins: wanted.map(([p]) => p), warnings: [] };
  const warnings = wanted
    .filter(([plugin]) => !listed.some((l) => l === plugin || l.endsWith(`plugin-${plugin}`)))
    .map(([plugin, field]) => `${field} is set but the plugin list does not include ${plugin}: those pods run only if a ${plugin} plugin registers on its own`);
  return { plugins: [...listed], warnings };
}
