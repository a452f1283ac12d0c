import { runtime } from '@kernelet/proto';
import type { Container, Pod, SecurityContext } from '@kernelet/sdk/common';
import { isHostNetwork } from '../pods/pod-naming.js';

/** Paths the kubelet masks and makes read-only in unprivileged containers (upstream securitycontext). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

type SeccompProfileSpec = { type?: string; localhostProfile?: string } | undefined;

/** The seccomp profile: the container's, else the pod's, else RuntimeDefault under seccompDefault; privileged runs unconfined. */
export function seccompProfile(podProfile: SeccompProfileSpec, containerProfile: SeccompProfileSpec, privileged: boolean, seccompDefault: boolean): runtime.SecurityProfile {
  const profile = containerProfile ?? podProfile;
  if (privileged && !profile) return { profileType: runtime.SecurityProfile_ProfileType.Unconfined, localhostRef: '' };
  if (profile?.type === 'RuntimeDefault') return { profileType: runtime.SecurityProfile_ProfileType.RuntimeDefault, localhostRef: '' };
  if (profile?.type === 'Localhost') return { profileType: runtime.SecurityProfile_ProfileType.Localhost, localhostRef: profile.localhostProfile ?? '' };
  if (profile?.type === 'Unconfined') return { profileType: runtime.SecurityProfile_ProfileType.Unconfined, localhostRef: '' };
  return { profileType: seccompDefault ? runtime.SecurityProfile_ProfileType.RuntimeDefault : runtime.SecurityProfile_ProfileType.Unconfined, localhostRef: '' };
}

/** The container's Linux security context (upstream determineEffectiveSecurityContext + convert). */
export function containerSecurityContext(pod: Pod, container: Container, seccompDefault: boolean): runtime.LinuxContainerSecurityContext {
  const psc = pod.spec?.securityContext;
  const sc: SecurityContext = container.securityContext ?? {};
  const privileged = sc.privileged === true;
  const runAsUser = sc.runAsUser ?? psc?.runAsUser;
  const runAsGroup = sc.runAsGroup ?? psc?.runAsGroup;
  const unmasked = sc.procMount === 'Unmasked';
  return runtime.LinuxContainerSecurityContext.fromPartial({
    privileged,
    capabilities: { addCapabilities: sc.capabilities?.add ?? [], dropCapabilities: sc.capabilities?.drop ?? [], addAmbientCapabilities: [] },
    namespaceOptions: namespaceOptions(pod, true),
    ...(runAsUser !== undefined ? { runAsUser: { value: BigInt(runAsUser) } } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup: { value: BigInt(runAsGroup) } } : {}),
    readonlyRootfs: sc.readOnlyRootFilesystem === true,
    supplementalGroups: [...(psc?.supplementalGroups ?? []), ...(psc?.fsGroup !== undefined ? [psc.fsGroup] : [])].map((g) => BigInt(g)),
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    maskedPaths: privileged || unmasked ? [] : [...DEFAULT_MASKED_PATHS],
    readonlyPaths: privileged || unmasked ? [] : [...DEFAULT_READONLY_PATHS],
    seccomp: seccompProfile(psc?.seccompProfile, sc.seccompProfile, privileged, seccompDefault),
  });
}

/** Namespace modes: the host's for hostNetwork/hostPID/hostIPC, a pid namespace per container unless shareProcessNamespace. */
export function namespaceOptions(pod: Pod, forContainer: boolean): runtime.NamespaceOption {
  const spec = pod.spec;
  return runtime.NamespaceOption.fromPartial({
    network: isHostNetwork(pod) ? runtime.NamespaceMode.NODE : runtime.NamespaceMode.POD,
    pid: spec?.hostPID ? runtime.NamespaceMode.NODE : spec?.shareProcessNamespace || !forContainer ? runtime.NamespaceMode.POD : runtime.NamespaceMode.CONTAINER,
    ipc: spec?.hostIPC ? runtime.NamespaceMode.NODE : runtime.NamespaceMode.POD,
  });
}
