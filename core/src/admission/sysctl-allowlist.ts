/**
 * The sysctls upstream calls safe: namespaced and isolated from other pods
 * (pkg/kubelet/sysctl/safe_sysctls.go). Those safe in earlier releases are allowed whatever the
 * kernel, so a pod that ran before keeps running; the newer ones only on a kernel that
 * namespaces them (and not when the kernel version cannot be read).
 */
export const SAFE_SYSCTLS: readonly { name: string; minKernel?: string }[] = [
  { name: 'kernel.shm_rmid_forced' },
  { name: 'net.ipv4.ip_local_port_range' },
  { name: 'net.ipv4.tcp_syncookies' },
  { name: 'net.ipv4.ping_group_range' },
  { name: 'net.ipv4.ip_unprivileged_port_start' },
  { name: 'net.ipv4.tcp_keepalive_time' },
  { name: 'net.ipv4.tcp_fin_timeout' },
  { name: 'net.ipv4.tcp_keepalive_intvl' },
  { name: 'net.ipv4.tcp_keepalive_probes' },
  { name: 'net.ipv4.ip_local_reserved_ports', minKernel: '3.16' },
  { name: 'net.ipv4.tcp_rmem', minKernel: '4.15' },
  { name: 'net.ipv4.tcp_wmem', minKernel: '4.15' },
];

export type SysctlNamespace = 'ipc' | 'net';

/** The kernel namespace a sysctl belongs to, if it is known to be namespaced. */
export function namespacedBy(name: string): SysctlNamespace | undefined {
  if (name === 'kernel.sem') return 'ipc';
  if (name.startsWith('kernel.shm') || name.startsWith('kernel.msg') || name.startsWith('fs.mqueue.')) return 'ipc';
  if (name.startsWith('net.')) return 'net';
  return undefined;
}

/** "net/ipv4/ip_forward" -> "net.ipv4.ip_forward": a name written with slashes swaps "/" and "." (sysctl.d(5)). */
export function normalizeSysctlName(name: string): string {
  const firstSep = name.search(/[./]/);
  if (firstSep < 0 || name[firstSep] !== '/') return name;
  return name.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
}

const PATTERN = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*([a-z0-9]([-_a-z0-9]*[a-z0-9])?\*?|\*)$/;

function kernelAtLeast(kernel: string | undefined, min: string): boolean {
  if (!kernel) return false;
  const have = kernel.split(/[.-]/).map((n) => Number.parseInt(n, 10));
  const want = min.split('.').map(Number);
  for (let i = 0; i < want.length; i++) {
    const h = have[i] ?? 0;
    const w = want[i] ?? 0;
    if (h !== w) return h > w;
  }
  return true;
}

/**
 * Which sysctls a pod may set (upstream sysctl patternAllowlist): the safe set (those that
 * need a newer kernel only on it) plus allowedUnsafeSysctls, names or prefix patterns
 * ("kernel.msg*") that must be known to be namespaced. A namespaced sysctl is refused for a
 * pod sharing that namespace with the host (net with hostNetwork, ipc with hostIPC).
 */
export class SysctlAllowlist {
  private readonly names = new Map<string, SysctlNamespace>();
  private readonly prefixes = new Map<string, SysctlNamespace>();

  /** Throws naming the first pattern that is malformed or not namespaced. */
  constructor(allowedUnsafe: readonly string[], kernelVersion?: string) {
    const patterns = [...SAFE_SYSCTLS.filter((s) => !s.minKernel || kernelAtLeast(kernelVersion, s.minKernel)).map((s) => s.name), ...allowedUnsafe];
    for (const raw of patterns) {
      if (raw.length > 253 || !PATTERN.test(raw)) throw new Error(`sysctl "${raw}" must have at most 253 characters and match regex ${PATTERN.source}`);
      const s = normalizeSysctlName(raw);
      if (s.endsWith('*')) {
        const prefix = s.slice(0, -1);
        const ns = namespacedBy(prefix);
        if (!ns) throw new Error(`the sysctls "${s}" are not known to be namespaced`);
        this.prefixes.set(prefix, ns);
      } else {
        const ns = namespacedBy(s);
        if (!ns) throw new Error(`the sysctl "${s}" are not known to be namespaced`);
        this.names.set(s, ns);
      }
    }
  }

  /** undefined when allowed, else why not. */
  check(rawName: string, hostNetwork: boolean, hostIPC: boolean): string | undefined {
    const name = normalizeSysctlName(rawName);
    let ns = this.names.get(name);
    if (ns === undefined) {
      for (const [prefix, pns] of this.prefixes) {
        if (name.startsWith(prefix)) {
          ns = pns;
          break;
        }
      }
    }
    if (ns === undefined) return `"${name}" not allowlisted`;
    if (ns === 'ipc' && hostIPC) return `"${name}" not allowed with host ipc enabled`;
    if (ns === 'net' && hostNetwork) return `"${name}" not allowed with host net enabled`;
    return undefined;
  }
}
