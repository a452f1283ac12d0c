import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

/**
 * The node's IPs: --node-ip when given, else the first IPv4 address of the interface holding
 * the default route (as upstream picks when no node IP is set), else any non-loopback address.
 */
export function detectNodeIPs(nodeIPFlag: string | undefined): string[] {
  if (nodeIPFlag) return nodeIPFlag.split(',').map((s) => s.trim()).filter(Boolean);
  const interfaces = networkInterfaces();
  const pick = (name: string | undefined) => (name ? (interfaces[name] ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address : undefined);
  let defaultInterface: string | undefined;
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const [iface, destination] = line.split(/\s+/);
      if (destination === '00000000') {
        defaultInterface = iface;
        break;
      }
    }
  } catch {
    defaultInterface = undefined;
  }
  const found = pick(defaultInterface) ?? Object.values(interfaces).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  return [found ?? '127.0.0.1'];
}
