import { describe, expect, it } from 'vitest';
import type { Pod } from '@kernelet/sdk/common';
import { parseResolvConf, podDNSConfig } from './dns-config.js';

const host = parseResolvConf('# generated\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch corp.example example\noptions timeout:2 rotate\n');

const pod = (spec: Partial<NonNullable<Pod['spec']>>): Pod => ({ metadata: { name: 'p', namespace: 'team' }, spec: { containers: [], ...spec } });

describe('podDNSConfig', () => {
  it('reads resolv.conf', () => {
    expect(host).toEqual({ servers: ['10.0.0.2', '10.0.0.3'], searches: ['corp.example', 'example'], options: ['timeout:2', 'rotate'] });
  });

  it('Default uses the host resolver', () => {
    expect(podDNSConfig(pod({ dnsPolicy: 'Default' }), host, { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local' })).toEqual(host);
  });

  it('ClusterFirst uses cluster DNS with the namespace search path', () => {
    expect(podDNSConfig(pod({}), host, { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local' })).toEqual({
      servers: ['10.96.0.10'],
      searches: ['team.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'example'],
      options: ['ndots:5'],
    });
  });

  it('ClusterFirst falls back to the host without clusterDNS, and for host-network pods', () => {
    expect(podDNSConfig(pod({}), host, { clusterDNS: [], clusterDomain: '' })).toEqual(host);
    expect(podDNSConfig(pod({ hostNetwork: true }), host, { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local' })).toEqual(host);
  });

  it('None uses only the pod dnsConfig; options of the same name are replaced', () => {
    expect(
      podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.b'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }), host, { clusterDNS: [], clusterDomain: '' }),
    ).toEqual({ servers: ['1.1.1.1'], searches: ['a.b'], options: ['ndots:2', 'edns0'] });
    expect(podDNSConfig(pod({ dnsPolicy: 'Default', dnsConfig: { options: [{ name: 'timeout', value: '5' }] } }), host, { clusterDNS: [], clusterDomain: '' }).options).toEqual(['timeout:5', 'rotate']);
  });
});
