import type { runtime } from '@kernelet/proto';
import type { Pod } from '@kernelet/sdk/common';

/** The host's resolver settings, as read from resolvConf. */
export interface HostDNS {
  servers: string[];
  searches: string[];
  options: string[];
}

/** Parses resolv.conf text (nameserver, search/domain, options lines). */
export function parseResolvConf(text: string): HostDNS {
  const dns: HostDNS = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (line === '') continue;
    const [key, ...fields] = line.split(/\s+/);
    if (key === 'nameserver' && fields[0]) dns.servers.push(fields[0]);
    else if (key === 'search') dns.searches = fields;
    else if (key === 'domain' && fields[0]) dns.searches = [fields[0]];
    else if (key === 'options') dns.options.push(...fields);
  }
  return dns;
}

export interface ClusterDNS {
  clusterDNS: readonly string[];
  clusterDomain: string;
}

/**
 * The sandbox DNS settings by dnsPolicy (upstream dns.Configurer.GetPodDNS): Default uses the
 * host's resolver; ClusterFirst uses clusterDNS (falling back to the host's resolver when none
 * is configured, and for host-network pods); None uses only the pod's dnsConfig, which every
 * policy appends.
 */
export function podDNSConfig(pod: Pod, host: HostDNS, cluster: ClusterDNS): runtime.DNSConfig {
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  const hostNetwork = pod.spec?.hostNetwork === true;
  let base: HostDNS;
  if (policy === 'None') {
    base = { servers: [], searches: [], options: [] };
  } else if (policy === 'Default' || (policy === 'ClusterFirst' && hostNetwork) || cluster.clusterDNS.length === 0) {
    base = { servers: [...host.servers], searches: [...host.searches], options: [...host.options] };
  } else {
    const ns = pod.metadata?.namespace ?? 'default';
    const domain = cluster.clusterDomain;
    base = {
      servers: [...cluster.clusterDNS],
      searches: domain ? [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...host.searches] : [...host.searches],
      options: ['ndots:5'],
    };
  }
  const extra = pod.spec?.dnsConfig;
  const servers = dedupe([...base.servers, ...(extra?.nameservers ?? [])]);
  const searches = dedupe([...base.searches, ...(extra?.searches ?? [])]).slice(0, 32);
  const options = mergeOptions(base.options, (extra?.options ?? []).map((o) => (o.value !== undefined && o.value !== null ? `${o.name}:${o.value}` : (o.name ?? ''))));
  return { servers, searches, options };
}

function dedupe(values: readonly string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))];
}

/** Pod options replace host options of the same name. */
function mergeOptions(base: readonly string[], extra: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const option of [...base, ...extra]) if (option !== '') byName.set(option.split(':')[0] ?? option, option);
  return [...byName.values()];
}
