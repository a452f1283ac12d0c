import type { ContainerAllocation } from '@kernelet/sdk/common';

/**
 * One container's allocations from several providers as the one the agent applies:
 * cpusets from whichever provider set them (the CPU manager sets cpus, the memory
 * manager mems), maps merged, lists concatenated in provider order.
 */
export function mergeAllocations(podUID: string, containerName: string, allocations: readonly ContainerAllocation[]): ContainerAllocation {
  const merged: ContainerAllocation = { podUID, containerName };
  const envs: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const mounts: NonNullable<ContainerAllocation['mounts']>[number][] = [];
  const devices: NonNullable<ContainerAllocation['devices']>[number][] = [];
  const cdiDevices: string[] = [];
  const resourceDevices: NonNullable<ContainerAllocation['resourceDevices']>[number][] = [];
  for (const a of allocations) {
    if (a.cpusetCpus && merged.cpusetCpus === undefined) merged.cpusetCpus = a.cpusetCpus;
    if (a.cpusetMems && merged.cpusetMems === undefined) merged.cpusetMems = a.cpusetMems;
    Object.assign(envs, a.envs);
    Object.assign(annotations, a.annotations);
    mounts.push(...(a.mounts ?? []));
    devices.push(...(a.devices ?? []));
    cdiDevices.push(...(a.cdiDevices ?? []));
    resourceDevices.push(...(a.resourceDevices ?? []));
  }
  if (Object.keys(envs).length > 0) merged.envs = envs;
  if (Object.keys(annotations).length > 0) merged.annotations = annotations;
  if (mounts.length > 0) merged.mounts = mounts;
  if (devices.length > 0) merged.devices = devices;
  if (cdiDevices.length > 0) merged.cdiDevices = cdiDevices;
  if (resourceDevices.length > 0) merged.resourceDevices = resourceDevices;
  return merged;
}
