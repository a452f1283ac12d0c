import { join } from 'node:path';
import { runtime } from '@kernelet/proto';
import type { Container, ContainerAllocation, EnvVar, Pod } from '@kernelet/sdk/common';
import { containerLimits, containerRequests } from '@kernelet/sdk/common';
import { hashContainer } from '../pods/container-hash.js';
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_CONTAINER_PORTS,
  ANNOTATION_POD_TERMINATION_GRACE_PERIOD,
  ANNOTATION_PRESTOP_HANDLER,
  ANNOTATION_RESTART_COUNT,
  ANNOTATION_TERMINATION_MESSAGE_PATH,
  ANNOTATION_TERMINATION_MESSAGE_POLICY,
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  podGracePeriodSeconds,
} from '../pods/pod-naming.js';
import { containerLinuxResources, milliValue, value, type ResourceOptions } from './container-resources.js';
import { expand } from './expansion.js';
import { containerSecurityContext } from './security-context.js';

/** A container that cannot be configured (upstream reason CreateContainerConfigError). */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
  readonly reason = 'CreateContainerConfigError';
}

/** A pod volume, resolved to a path on the host. */
export interface HostVolume {
  hostPath: string;
  readOnly: boolean;
}

export interface ContainerConfigContext {
  pod: Pod;
  container: Container;
  restartCount: number;
  /** The image ID the runtime resolved. */
  imageRef: string;
  nodeName: string;
  podIPs: readonly string[];
  hostIPs: readonly string[];
  /** Pod volumes by name (emptyDir and hostPath); a mount of any other volume fails. */
  volumes: ReadonlyMap<string, HostVolume>;
  /** Volumes the agent cannot provide, with why. */
  unsupportedVolumes: ReadonlyMap<string, string>;
  /** Host file bind-mounted at terminationMessagePath. */
  terminationMessageFile?: string;
  /** Host file bind-mounted at /etc/hosts. */
  etcHostsFile?: string;
  resources: ResourceOptions;
  seccompDefault: boolean;
  /** Node allocatable cpu (milli) and memory (bytes): what resourceFieldRef limits default to. */
  allocatable: { cpuMilli: number; memoryBytes: number };
  /** What hint providers (cpu/memory/device managers) allocated to this container. */
  allocation?: ContainerAllocation;
}

export function containerLabels(pod: Pod, container: Container): Record<string, string> {
  return {
    [LABEL_POD_NAME]: pod.metadata?.name ?? '',
    [LABEL_POD_NAMESPACE]: pod.metadata?.namespace ?? '',
    [LABEL_POD_UID]: pod.metadata?.uid ?? '',
    [LABEL_CONTAINER_NAME]: container.name,
  };
}

export function containerAnnotations(pod: Pod, container: Container, restartCount: number): Record<string, string> {
  const annotations: Record<string, string> = {
    [ANNOTATION_CONTAINER_HASH]: hashContainer(container),
    [ANNOTATION_RESTART_COUNT]: String(restartCount),
    [ANNOTATION_TERMINATION_MESSAGE_PATH]: container.terminationMessagePath ?? '/dev/termination-log',
    [ANNOTATION_TERMINATION_MESSAGE_POLICY]: container.terminationMessagePolicy ?? 'File',
    [ANNOTATION_POD_TERMINATION_GRACE_PERIOD]: String(podGracePeriodSeconds(pod)),
  };
  if (container.lifecycle?.preStop) annotations[ANNOTATION_PRESTOP_HANDLER] = JSON.stringify(container.lifecycle.preStop);
  if (container.ports?.length) annotations[ANNOTATION_CONTAINER_PORTS] = JSON.stringify(container.ports);
  return annotations;
}

/** The container's log file, relative to the sandbox's log directory: <name>/<restartCount>.log. */
export function containerLogPath(containerName: string, restartCount: number): string {
  return join(containerName, `${restartCount}.log`);
}

/**
 * The CRI ContainerConfig (upstream generateContainerConfig): env with field and resource
 * references resolved and $(VAR) expanded, command and args expanded, volume mounts on host
 * paths, the termination-message file and /etc/hosts, labels and annotations that let the
 * agent recognise and stop the container after a restart, resources and security context.
 * Throws ContainerConfigError.
 */
export function containerConfig(ctx: ContainerConfigContext): runtime.ContainerConfig {
  const { pod, container } = ctx;
  const envs = resolveEnv(ctx);
  const lookup = (name: string): string | undefined => envs.get(name);
  const command = (container.command ?? []).map((c) => expand(c, lookup));
  const args = (container.args ?? []).map((a) => expand(a, lookup));
  const mounts = containerMounts(ctx);
  const allocation = ctx.allocation;
  for (const [k, v] of Object.entries(allocation?.envs ?? {})) envs.set(k, v);
  const resources = containerLinuxResources(pod, container, ctx.resources);
  if (allocation?.cpusetCpus) resources.cpusetCpus = allocation.cpusetCpus;
  if (allocation?.cpusetMems) resources.cpusetMems = allocation.cpusetMems;
  for (const m of allocation?.mounts ?? []) {
    mounts.push(runtime.Mount.fromPartial({ containerPath: m.containerPath, hostPath: m.hostPath, readonly: m.readOnly }));
  }
  return runtime.ContainerConfig.fromPartial({
    metadata: { name: container.name, attempt: ctx.restartCount },
    image: { image: ctx.imageRef, userSpecifiedImage: container.image ?? '' },
    command,
    args,
    workingDir: container.workingDir ?? '',
    envs: [...envs].map(([key, v]) => ({ key, value: v })),
    mounts,
    devices: (allocation?.devices ?? []).map((d) => ({ containerPath: d.containerPath, hostPath: d.hostPath, permissions: d.permissions })),
    CDIDevices: (allocation?.cdiDevices ?? []).map((name) => ({ name })),
    labels: containerLabels(pod, container),
    annotations: { ...(allocation?.annotations ?? {}), ...containerAnnotations(pod, container, ctx.restartCount) },
    logPath: containerLogPath(container.name, ctx.restartCount),
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    tty: container.tty === true,
    linux: { resources, securityContext: containerSecurityContext(pod, container, ctx.seccompDefault) },
  });
}

function containerMounts(ctx: ContainerConfigContext): runtime.Mount[] {
  const mounts: runtime.Mount[] = [];
  const targets = new Set<string>();
  for (const vm of ctx.container.volumeMounts ?? []) {
    const why = ctx.unsupportedVolumes.get(vm.name);
    if (why) throw new ContainerConfigError(`volume "${vm.name}" cannot be mounted: ${why}`);
    const volume = ctx.volumes.get(vm.name);
    if (!volume) throw new ContainerConfigError(`volume "${vm.name}" mounted at ${vm.mountPath} is not a volume of the pod`);
    const sub = vm.subPath ?? '';
    if (sub.split('/').includes('..') || sub.startsWith('/')) throw new ContainerConfigError(`subPath "${sub}" of volume "${vm.name}" must be a relative path without ".."`);
    mounts.push(
      runtime.Mount.fromPartial({
        containerPath: vm.mountPath,
        hostPath: sub ? join(volume.hostPath, sub) : volume.hostPath,
        readonly: vm.readOnly === true || volume.readOnly,
        propagation:
          vm.mountPropagation === 'Bidirectional'
            ? runtime.MountPropagation.PROPAGATION_BIDIRECTIONAL
            : vm.mountPropagation === 'HostToContainer'
              ? runtime.MountPropagation.PROPAGATION_HOST_TO_CONTAINER
              : runtime.MountPropagation.PROPAGATION_PRIVATE,
      }),
    );
    targets.add(vm.mountPath);
  }
  if (ctx.etcHostsFile && !targets.has('/etc/hosts')) {
    mounts.push(runtime.Mount.fromPartial({ containerPath: '/etc/hosts', hostPath: ctx.etcHostsFile }));
  }
  const messagePath = ctx.container.terminationMessagePath ?? '/dev/termination-log';
  if (ctx.terminationMessageFile && messagePath !== '' && !targets.has(messagePath)) {
    mounts.push(runtime.Mount.fromPartial({ containerPath: messagePath, hostPath: ctx.terminationMessageFile }));
  }
  return mounts;
}

/** The container's environment, in order, with references resolved (upstream makeEnvironmentVariables). */
function resolveEnv(ctx: ContainerConfigContext): Map<string, string> {
  const env = new Map<string, string>();
  for (const source of ctx.container.envFrom ?? []) {
    const optional = source.configMapRef?.optional ?? source.secretRef?.optional ?? false;
    if (optional) continue;
    const kind = source.configMapRef ? `configmap "${source.configMapRef.name}"` : `secret "${source.secretRef?.name ?? ''}"`;
    throw new ContainerConfigError(`${kind} not found: the node runs without an API server`);
  }
  for (const e of ctx.container.env ?? []) {
    const v = envValue(ctx, e, env);
    if (v !== undefined) env.set(e.name, v);
  }
  return env;
}

function envValue(ctx: ContainerConfigContext, e: EnvVar, env: ReadonlyMap<string, string>): string | undefined {
  if (e.value !== undefined) return expand(e.value, (name) => env.get(name));
  const from = e.valueFrom;
  if (!from) return '';
  if (from.fieldRef) return fieldRef(ctx, from.fieldRef.fieldPath);
  if (from.resourceFieldRef) return resourceFieldRef(ctx, from.resourceFieldRef);
  const ref = from.configMapKeyRef ?? from.secretKeyRef;
  if (ref?.optional) return undefined;
  const kind = from.configMapKeyRef ? 'configmap' : 'secret';
  throw new ContainerConfigError(`${kind} "${ref?.name ?? ''}" not found (env ${e.name}): the node runs without an API server`);
}

function fieldRef(ctx: ContainerConfigContext, path: string): string {
  const meta = ctx.pod.metadata;
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) return (keyed[1] === 'labels' ? meta?.labels : meta?.annotations)?.[keyed[2] ?? ''] ?? '';
  switch (path) {
    case 'metadata.name':
      return meta?.name ?? '';
    case 'metadata.namespace':
      return meta?.namespace ?? '';
    case 'metadata.uid':
      return meta?.uid ?? '';
    case 'spec.nodeName':
      return ctx.pod.spec?.nodeName || ctx.nodeName;
    case 'spec.serviceAccountName':
      return ctx.pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return ctx.hostIPs[0] ?? '';
    case 'status.hostIPs':
      return ctx.hostIPs.join(',');
    case 'status.podIP':
      return ctx.podIPs[0] ?? '';
    case 'status.podIPs':
      return ctx.podIPs.join(',');
    default:
      throw new ContainerConfigError(`unsupported fieldRef "${path}"`);
  }
}

function resourceFieldRef(ctx: ContainerConfigContext, ref: { containerName?: string; resource: string; divisor?: string | number }): string {
  const container = ref.containerName ? [...(ctx.pod.spec?.containers ?? []), ...(ctx.pod.spec?.initContainers ?? [])].find((c) => c.name === ref.containerName) : ctx.container;
  if (!container) throw new ContainerConfigError(`resourceFieldRef names unknown container "${ref.containerName}"`);
  const [kind, name = ''] = ref.resource.split('.');
  const list = kind === 'limits' ? containerLimits(container) : containerRequests(container);
  const q = list.get(name);
  const divisorText = String(ref.divisor ?? '1');
  const divisorMilli = divisorText === '1m' ? 1 : divisorText === '1' || divisorText === '0' ? 1000 : undefined;
  if (name === 'cpu') {
    const milli = q ? milliValue(q) : kind === 'limits' ? ctx.allocatable.cpuMilli : 0;
    const d = divisorMilli ?? 1000;
    return String(Math.ceil(milli / d));
  }
  const bytes = q ? value(q) : kind === 'limits' && name === 'memory' ? ctx.allocatable.memoryBytes : 0;
  const divisorBytes = divisorText === '1Mi' ? 1 << 20 : divisorText === '1Gi' ? 1 << 30 : divisorText === '1Ki' ? 1 << 10 : divisorText === '1M' ? 1e6 : divisorText === '1G' ? 1e9 : 1;
  return String(Math.ceil(bytes / divisorBytes));
}
