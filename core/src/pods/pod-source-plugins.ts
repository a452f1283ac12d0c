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
 * The plugin set the agent runs: the listed plugins plus the pod sources the configuration
 * asks for (file-source when staticPodPath is set, http-source when staticPodURL is), as the
 * kubelet always reads the static pod sources it is configured with. An operator naming a
 * plugin set (`--plugins cpu-manager`) picks resource managers, not whether static pods run.
 */
export function effectivePlugins(options: Pick<AgentOptions, 'kubelet' | 'kernelet'>): string[] {
  const listed = options.kernelet.plugins;
  const sources: string[] = [];
  if (options.kubelet.staticPodPath) sources.push(FILE_SOURCE_PLUGIN);
  if (options.kubelet.staticPodURL) sources.push(HTTP_SOURCE_PLUGIN);
  const missing = sources.filter((plugin) => !listed.some((l) => l === plugin || l.endsWith(`plugin-${plugin}`)));
  return [...listed, ...missing];
}
