import type { Pod } from '@kernelet/sdk/common';

/**
 * Whether the pod sets pod-level resources (spec.resources) for a resource that level
 * supports (cpu, memory, hugepages): upstream's IsPodLevelResourcesSet. The static
 * policy leaves such pods alone while the PodLevelResources gate is on.
 */
export function usesPodLevelResources(pod: Pod): boolean {
  const resources = (pod.spec as { resources?: { requests?: object; limits?: object } } | undefined)?.resources;
  const names = [...Object.keys(resources?.requests ?? {}), ...Object.keys(resources?.limits ?? {})];
  return names.some((name) => name === 'cpu' || name === 'memory' || name.startsWith('hugepages-'));
}
