import { runtime } from '@kernelet/proto';
import type { Pod } from '@kernelet/sdk/common';
import { LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, isHostNetwork, podLogDirName } from '../pods/pod-naming.js';
import { join } from 'node:path';
import { namespaceOptions, seccompProfile } from './security-context.js';

export interface SandboxConfigOptions {
  podLogsDir: string;
  /** The pod's cgroup (cgroupfs path such as /kubepods/burstable/pod<uid>), or "" for the runtime's default. */
  cgroupParent: string;
  dns: runtime.DNSConfig;
  seccompDefault: boolean;
}

/** The pod's host name: spec.hostname or the pod name, at most 63 characters, no trailing "-" or ".". */
export function podHostname(pod: Pod): string {
  const name = pod.spec?.hostname || pod.metadata?.name || '';
  return name.slice(0, 63).replace(/[-.]+$/, '');
}

export function sandboxLabels(pod: Pod): Record<string, string> {
  return {
    ...(pod.metadata?.labels ?? {}),
    [LABEL_POD_NAME]: pod.metadata?.name ?? '',
    [LABEL_POD_NAMESPACE]: pod.metadata?.namespace ?? '',
    [LABEL_POD_UID]: pod.metadata?.uid ?? '',
  };
}

/** The CRI PodSandboxConfig of a pod (upstream generatePodSandboxConfig). */
export function podSandboxConfig(pod: Pod, attempt: number, options: SandboxConfigOptions): runtime.PodSandboxConfig {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? '';
  const uid = pod.metadata?.uid ?? '';
  const portMappings: runtime.PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      portMappings.push({
        protocol: p.protocol === 'UDP' ? runtime.Protocol.UDP : p.protocol === 'SCTP' ? runtime.Protocol.SCTP : runtime.Protocol.TCP,
        containerPort: p.containerPort,
        hostPort: p.hostPort,
        hostIp: p.hostIP ?? '',
      });
    }
  }
  const sc = pod.spec?.securityContext;
  const privileged = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].some((c) => c.securityContext?.privileged === true);
  const sysctls: Record<string, string> = {};
  for (const s of sc?.sysctls ?? []) sysctls[s.name] = s.value;
  return runtime.PodSandboxConfig.fromPartial({
    metadata: { name, namespace, uid, attempt },
    hostname: isHostNetwork(pod) ? '' : podHostname(pod),
    logDirectory: join(options.podLogsDir, podLogDirName(namespace, name, uid)),
    dnsConfig: options.dns,
    portMappings,
    labels: sandboxLabels(pod),
    annotations: { ...(pod.metadata?.annotations ?? {}) },
    linux: {
      cgroupParent: options.cgroupParent,
      sysctls,
      securityContext: {
        namespaceOptions: namespaceOptions(pod, false),
        privileged,
        ...(sc?.runAsUser !== undefined ? { runAsUser: { value: BigInt(sc.runAsUser) } } : {}),
        ...(sc?.runAsGroup !== undefined ? { runAsGroup: { value: BigInt(sc.runAsGroup) } } : {}),
        supplementalGroups: [...(sc?.supplementalGroups ?? []), ...(sc?.fsGroup !== undefined ? [sc.fsGroup] : [])].map((g) => BigInt(g)),
        seccomp: seccompProfile(sc?.seccompProfile, undefined, privileged, options.seccompDefault),
      },
    },
  });
}
