import { describe, expect, it } from 'vitest';
import { Quantity, type Pod } from '@kernelet/sdk/common';
import { insufficientMessage, insufficientReason, podFitsResources } from './resource-fit.js';
import { normalizeSysctlName, SysctlAllowlist } from './sysctl-allowlist.js';

function pod(name: string, requests: Record<string, string> = {}): Pod {
  return { metadata: { name, uid: name }, spec: { containers: [{ name: 'c', resources: { requests } }] } };
}

/** A pod with one app container, a sidecar and a regular init container after it. */
function sidecarPod(name: string, app: string, sidecar: string, init: string): Pod {
  const requests = (cpu: string) => ({ resources: { requests: { cpu } } });
  return {
    metadata: { name, uid: name },
    spec: { containers: [{ name: 'c', ...requests(app) }], initContainers: [{ name: 'side', restartPolicy: 'Always', ...requests(sidecar) }, { name: 'init', ...requests(init) }] },
  };
}

const allocatable = new Map([
  ['cpu', Quantity.parse('2')],
  ['memory', Quantity.parse('4Gi')],
  ['ephemeral-storage', Quantity.parse('10Gi')],
  ['pods', Quantity.parse('3')],
  ['example.com/gpu', Quantity.parse('1')],
]);

describe('podFitsResources', () => {
  it.each<[string, Pod, Pod[], string | undefined, string | undefined]>([
    ['fits', pod('p', { cpu: '1' }), [pod('a', { cpu: '500m' })], undefined, undefined],
    ['more cpu than allocatable', pod('p', { cpu: '3' }), [], 'OutOfcpu', "Node didn't have enough resource: cpu, requested: 3000, used: 0, capacity: 2000"],
    ['cpu used by admitted pods', pod('p', { cpu: '1' }), [pod('a', { cpu: '1500m' })], 'OutOfcpu', "Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000"],
    ['memory', pod('p', { memory: '5Gi' }), [], 'OutOfmemory', "Node didn't have enough resource: memory, requested: 5368709120, used: 0, capacity: 4294967296"],
    ['ephemeral-storage', pod('p', { 'ephemeral-storage': '11Gi' }), [], 'OutOfephemeral-storage', undefined],
    ['maxPods', pod('p'), [pod('a'), pod('b'), pod('c')], 'OutOfpods', "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3"],
    ['extended resource', pod('p', { 'example.com/gpu': '2' }), [], 'OutOfexample.com/gpu', undefined],
    ['extended resource the node does not advertise is ignored', pod('p', { 'other.io/thing': '5' }), [], undefined, undefined],
    ['BestEffort fits while pods remain', pod('p'), [pod('a', { cpu: '2' })], undefined, undefined],
    // Sidecars count with the app containers and with the init containers after them.
    ['sidecar adds to the app containers', sidecarPod('p', '1500m', '1', '100m'), [], 'OutOfcpu', "Node didn't have enough resource: cpu, requested: 2500, used: 0, capacity: 2000"],
    ['init container after a sidecar counts with it', sidecarPod('p', '100m', '500m', '1600m'), [], 'OutOfcpu', "Node didn't have enough resource: cpu, requested: 2100, used: 0, capacity: 2000"],
    ['admitted sidecar pod uses apps + sidecars', pod('p', { cpu: '1' }), [sidecarPod('a', '600m', '500m', '100m')], 'OutOfcpu', "Node didn't have enough resource: cpu, requested: 1000, used: 1100, capacity: 2000"],
    ['sidecar pod that fits', sidecarPod('p', '1', '500m', '1500m'), [], undefined, undefined],
  ])('%s', (_name, p, admitted, reason, message) => {
    const [first] = podFitsResources(p, admitted, allocatable);
    expect(first ? insufficientReason(first) : undefined).toBe(reason);
    if (message) expect(first ? insufficientMessage(first) : undefined).toBe(message);
  });
});

describe('SysctlAllowlist', () => {
  const list = new SysctlAllowlist(['kernel.msg*', 'net.core.somaxconn'], '6.1.0');
  it.each<[string, boolean, boolean, string | undefined]>([
    ['kernel.shm_rmid_forced', false, false, undefined],
    ['net.ipv4.ip_local_port_range', false, false, undefined],
    ['net.ipv4.tcp_keepalive_time', false, false, undefined],
    ['net.ipv4.tcp_fin_timeout', false, false, undefined],
    ['net.ipv4.tcp_keepalive_intvl', false, false, undefined],
    ['net.ipv4.tcp_keepalive_probes', false, false, undefined],
    ['net.ipv4.tcp_rmem', false, false, undefined],
    ['net.ipv4.tcp_wmem', false, false, undefined],
    ['net.ipv4.ip_local_reserved_ports', false, false, undefined],
    ['net.ipv4.tcp_slow_start_after_idle', false, false, '"net.ipv4.tcp_slow_start_after_idle" not allowlisted'],
    ['net.ipv4.tcp_wmem', true, false, '"net.ipv4.tcp_wmem" not allowed with host net enabled'],
    ['net/ipv4/ip_local_port_range', false, false, undefined],
    ['kernel.msgmax', false, false, undefined],
    ['net.core.somaxconn', false, false, undefined],
    ['kernel.sem', false, false, '"kernel.sem" not allowlisted'],
    ['net.ipv4.ip_forward', false, false, '"net.ipv4.ip_forward" not allowlisted'],
    ['vm.swappiness', false, false, '"vm.swappiness" not allowlisted'],
    ['net.ipv4.ip_local_port_range', true, false, '"net.ipv4.ip_local_port_range" not allowed with host net enabled'],
    ['kernel.msgmax', false, true, '"kernel.msgmax" not allowed with host ipc enabled'],
  ])('%s (hostNetwork=%s hostIPC=%s)', (name, hostNet, hostIPC, why) => expect(list.check(name, hostNet, hostIPC)).toBe(why));

  // upstream: the names safe in earlier releases whatever the kernel; the newer ones only on a
  // kernel that namespaces them, and not when the kernel version is unknown.
  it.each<[string, string | undefined, boolean]>([
    ['kernel.shm_rmid_forced', '3.10.0', true],
    ['net.ipv4.tcp_keepalive_time', '4.4.0', true],
    ['net.ipv4.tcp_fin_timeout', '4.4.0', true],
    ['net.ipv4.tcp_keepalive_intvl', '4.4.0', true],
    ['net.ipv4.tcp_keepalive_probes', undefined, true],
    ['net.ipv4.ip_local_reserved_ports', '3.15.9', false],
    ['net.ipv4.ip_local_reserved_ports', '3.16.0', true],
    ['net.ipv4.tcp_rmem', '4.14.336-1', false],
    ['net.ipv4.tcp_rmem', '4.15.0', true],
    ['net.ipv4.tcp_wmem', '4.14.0', false],
    ['net.ipv4.tcp_wmem', '6.1.0-18-amd64', true],
    ['net.ipv4.tcp_wmem', undefined, false],
    ['net.ipv4.tcp_wmem', 'not-a-version', false],
  ])('safe sysctl %s on kernel %s: allowed %s', (name, kernel, allowed) => {
    expect(new SysctlAllowlist([], kernel).check(name, false, false)).toBe(allowed ? undefined : `"${name}" not allowlisted`);
  });

  it('refuses unsafe patterns that are not namespaced', () => {
    expect(() => new SysctlAllowlist(['vm.*'])).toThrow('the sysctls "vm.*" are not known to be namespaced');
    expect(() => new SysctlAllowlist(['Kernel.Bad!'])).toThrow(/must have at most 253 characters/);
  });

  it.each([
    ['net/ipv4/conf/eth0.100/rp_filter', 'net.ipv4.conf.eth0/100.rp_filter'],
    ['net.ipv4.ip_forward', 'net.ipv4.ip_forward'],
  ])('normalizes %s', (input, output) => expect(normalizeSysctlName(input)).toBe(output));
});
