import type { Pod } from '@kernelet/sdk/common';

const ALL_ADDRESSES = '0.0.0.0';

interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/**
 * The host ports a pod's app containers claim (upstream scheduler NodeInfo used ports): every
 * container port with a hostPort above 0, on its hostIP (0.0.0.0 when unset) and protocol
 * (TCP when unset). Init containers hold none. A host-network pod's ports are host ports too:
 * the API defaulting copies containerPort into hostPort.
 */
function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const container of pod.spec?.containers ?? []) {
    for (const p of container.ports ?? []) {
      const port = p.hostPort ?? 0;
      if (port > 0) out.push({ ip: p.hostIP || ALL_ADDRESSES, protocol: p.protocol || 'TCP', port });
    }
  }
  return out;
}

/**
 * Whether the pod's host ports are free next to the admitted pods (upstream NodePorts filter,
 * HostPortInfo.CheckConflict): a port on 0.0.0.0 conflicts with the same protocol and port on
 * any address; a port on one address conflicts with it on that address or on 0.0.0.0.
 */
export function hostPortsFit(pod: Pod, admitted: readonly Pod[]): boolean {
  const used = admitted.flatMap(hostPortsOf);
  return hostPortsOf(pod).every((want) =>
    !used.some((u) => u.protocol === want.protocol && u.port === want.port && (want.ip === ALL_ADDRESSES || u.ip === ALL_ADDRESSES || u.ip === want.ip)),
  );
}
