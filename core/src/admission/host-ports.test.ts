import { describe, expect, it } from 'vitest';
import type { ContainerPort, Pod } from '@kernelet/sdk/common';
import { hostPortsFit } from './host-ports.js';

function pod(ports: ContainerPort[], init: ContainerPort[] = []): Pod {
  return { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', ports }], ...(init.length > 0 ? { initContainers: [{ name: 'i', ports: init }] } : {}) } };
}

describe('hostPortsFit', () => {
  it.each<[string, Pod, Pod[], boolean]>([
    ['no host ports', pod([{ containerPort: 80 }]), [pod([{ containerPort: 80 }])], true],
    ['same port, nobody else', pod([{ containerPort: 80, hostPort: 8080 }]), [], true],
    ['same port and protocol on all addresses', pod([{ containerPort: 80, hostPort: 8080 }]), [pod([{ containerPort: 81, hostPort: 8080, protocol: 'TCP' }])], false],
    ['same port, other protocol', pod([{ containerPort: 80, hostPort: 53, protocol: 'UDP' }]), [pod([{ containerPort: 80, hostPort: 53 }])], true],
    ['same port on two different addresses', pod([{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' }]), [pod([{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.1' }])], true],
    ['same address', pod([{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' }]), [pod([{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' }])], false],
    ['one address against all addresses taken', pod([{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' }]), [pod([{ containerPort: 80, hostPort: 8080 }])], false],
    ['all addresses against one address taken', pod([{ containerPort: 80, hostPort: 8080 }]), [pod([{ containerPort: 80, hostPort: 8080, hostIP: '127.0.0.1' }])], false],
    ['host network defaulting: hostPort = containerPort', pod([{ containerPort: 9000, hostPort: 9000, protocol: 'TCP' }]), [pod([{ containerPort: 9000, hostPort: 9000, protocol: 'TCP' }])], false],
    ['init containers hold no ports', pod([{ containerPort: 80, hostPort: 8080 }]), [pod([], [{ containerPort: 80, hostPort: 8080 }])], true],
  ])('%s', (_name, p, others, want) => expect(hostPortsFit(p, others)).toBe(want));
});
