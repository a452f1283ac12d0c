import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { maskIds, maskOf, type Pod, type ProviderHints } from '@kernelet/sdk/common';
import { parseGoDuration } from './config/cpu-manager-config.js';
import { CpuManager } from './cpu-manager.js';
import { CpuManagerConfigError, StaleStateError, StateFileError } from './errors.js';
import { encodeCheckpoint, decodeCheckpoint } from './state/checkpoint.js';
import { loadCases, loadMachine, makePod, type ContainerCase } from './fixtures.test-helper.js';

interface ConfigCase {
  name: string;
  machine?: string;
  config: Record<string, unknown>;
  policy?: string;
  reserved?: string;
  error?: { field: string; message: string };
}

let dir: string;
let logs: Record<string, unknown>[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cpu-manager-'));
  logs = [];
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function logger() {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'info' }, sink);
}

const STATIC = { cpuManagerPolicy: 'static', kubeReserved: { cpu: '1' } };

function manager(config: Record<string, unknown> = STATIC, machine = 'cpu-dual-socket-ht'): CpuManager {
  return new CpuManager({ machine: loadMachine(machine), kubeletConfig: config, stateDir: dir, logger: logger() });
}

function pod(uid: string, ...containers: ContainerCase[]): Pod {
  return makePod({ uid, containers });
}

const stateFile = (): string => join(dir, 'cpu_manager_state');
const readState = () => decodeCheckpoint(readFileSync(stateFile(), 'utf8'));
const anyHint = { numaAffinity: null, preferred: true };

function hintsAsData(hints: ProviderHints): [number[], boolean][] | null {
  const cpu = hints.get('cpu');
  if (cpu === undefined) return null;
  return (cpu ?? []).map((h) => [h.numaAffinity === null ? [] : maskIds(h.numaAffinity), h.preferred]);
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('configuration', () => {
  const { cases } = loadCases<{ cases: ConfigCase[] }>('config');
  it.each(cases)('$name', (c) => {
    const make = () => manager(c.config, c.machine);
    if (c.error) {
      const err = caught(make);
      expect(err).toBeInstanceOf(CpuManagerConfigError);
      expect((err as CpuManagerConfigError).field).toBe(c.error.field);
      expect((err as Error).message).toContain(c.error.message);
      return;
    }
    const m = make();
    expect(m.policyName).toBe(c.policy);
    expect(m.reservedCPUs().toString()).toBe(c.reserved);
  });

  it.each([
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['0', 0],
  ])('reads the Go duration %s', (text, ms) => {
    expect(parseGoDuration('cpuManagerReconcilePeriod', text)).toBe(ms);
  });

  it('defaults the reconcile period to 10s', () => {
    expect(manager({}).reconcilePeriodMs).toBe(10_000);
    expect(manager({ cpuManagerReconcilePeriod: '5s' }).reconcilePeriodMs).toBe(5_000);
  });
});

describe('the static policy through the manager', () => {
  it('creates the state file, pins a Guaranteed container and shares the rest', () => {
    const m = manager();
    m.start();
    expect(readState()).toMatchObject({ policyName: 'static', version: 2 });
    expect(readState().defaultCPUSet.toString()).toBe('0-11');

    const gu = pod('gu', { name: 'app', cpu: '2' });
    expect(hintsAsData(m.getTopologyHints(gu, 'app'))).toEqual([[[0], true], [[1], true], [[0, 1], false]]);
    expect(m.allocate(gu, 'app', anyHint)).toEqual({ ok: true, allocation: { podUID: 'gu', containerName: 'app', cpusetCpus: '2,8' } });

    const burstable = pod('bu', { name: 'web', cpu: '1', limit: '2' });
    expect(hintsAsData(m.getTopologyHints(burstable, 'web'))).toBeNull();
    expect(m.allocate(burstable, 'web', anyHint)).toEqual({
      ok: true,
      allocation: { podUID: 'bu', containerName: 'web', cpusetCpus: '0-1,3-7,9-11' },
    });

    expect(m.listAllocations()).toEqual([{ podUID: 'gu', containerName: 'app', cpusetCpus: '2,8' }]);
    expect(m.cpusetFor('gu', 'app').toString()).toBe('2,8');
    expect(m.cpusetFor('bu', 'web').toString()).toBe('0-1,3-7,9-11');
    expect(m.sharedPool().toString()).toBe('0-1,3-7,9-11');
    expect(readState().assignments.get('gu')?.get('app')?.toString()).toBe('2,8');
    expect(readFileSync(stateFile(), 'utf8')).toMatch(/^\{"policyName":"static","defaultCpuSet":"0-1,3-7,9-11","entries":\{"gu":\{"app":"2,8"\}\},"checksum":\d+\}$/);
  });

  it.each([
    ['leaves a pod with pod-level resources on the shared pool (PodLevelResources on by default)', {}, '0-11'],
    ['pins it with PodLevelResources off', { PodLevelResources: false }, '2,8'],
  ])('%s', (_name, featureGates, cpus) => {
    const m = manager({ ...STATIC, featureGates });
    m.start();
    const plain = pod('pl', { name: 'app', cpu: '2' });
    const podLevel = { ...plain, spec: { ...plain.spec, resources: { limits: { cpu: '2', memory: '1G' } } } } as Pod;
    expect(m.allocate(podLevel, 'app', anyHint)).toEqual({ ok: true, allocation: { podUID: 'pl', containerName: 'app', cpusetCpus: cpus } });
  });

  it('allocates from the NUMA node of the hint', () => {
    const m = manager();
    m.start();
    const result = m.allocate(pod('p', { name: 'c', cpu: '2' }), 'c', { numaAffinity: maskOf([1]), preferred: true });
    expect(result).toMatchObject({ ok: true, allocation: { cpusetCpus: '1,7' } });
  });

  it('keeps assignments across a restart and regenerates their hints', () => {
    const first = manager();
    first.start();
    const gu = pod('gu', { name: 'app', cpu: '4' });
    first.allocate(gu, 'app', anyHint);
    const before = readFileSync(stateFile(), 'utf8');

    const second = manager();
    second.start();
    expect(second.listAllocations()).toEqual(first.listAllocations());
    expect(readFileSync(stateFile(), 'utf8')).toBe(before);
    expect(hintsAsData(second.getTopologyHints(gu, 'app'))).toEqual([[[0], true], [[0, 1], false]]);
    expect(second.allocate(gu, 'app', anyHint)).toMatchObject({ ok: true, allocation: { cpusetCpus: first.cpusetFor('gu', 'app').toString() } });
  });

  it('releases CPUs on removeContainer', () => {
    const m = manager();
    m.start();
    m.allocate(pod('gu', { name: 'app', cpu: '4' }), 'app', anyHint);
    m.removeContainer('gu', 'app');
    m.removeContainer('gu', 'app');
    expect(m.listAllocations()).toEqual([]);
    expect(m.sharedPool().toString()).toBe('0-11');
    expect(readState().defaultCPUSet.toString()).toBe('0-11');
  });

  it('drops the assignments of pods no longer active, but not of the pod being admitted', () => {
    const m = manager();
    m.start();
    const a = pod('a', { name: 'app', cpu: '2' });
    const b = pod('b', { name: 'app', cpu: '2' });
    const c = pod('c', { name: 'app', cpu: '2' });
    m.allocate(a, 'app', anyHint);
    m.allocate(b, 'app', anyHint);
    m.allocate(c, 'app', anyHint);
    m.removeStaleState([a]);
    expect(m.listAllocations().map((x) => x.podUID)).toEqual(['a', 'c']);
    expect(readState().assignments.has('b')).toBe(false);
    expect(logs.some((l) => l['msg'] === 'removing stale CPU assignment' && l['podUID'] === 'b')).toBe(true);
  });

  it('drops stale assignments at start when told which pods are active', () => {
    const first = manager();
    first.start();
    const a = pod('a', { name: 'app', cpu: '2' });
    first.allocate(a, 'app', anyHint);
    first.allocate(pod('gone', { name: 'app', cpu: '2' }), 'app', anyHint);

    const second = manager();
    second.start([a]);
    expect(second.listAllocations().map((x) => x.podUID)).toEqual(['a']);
    expect(readState().assignments.has('gone')).toBe(false);
  });

  it('reports SMTAlignmentError and UnexpectedAdmissionError as the kubelet does', () => {
    const m = manager({ ...STATIC, cpuManagerPolicyOptions: { 'full-pcpus-only': 'true' } });
    m.start();
    expect(m.allocate(pod('p', { name: 'c', cpu: '3' }), 'c', anyHint)).toEqual({
      ok: false,
      reason: 'SMTAlignmentError',
      message: 'SMT Alignment Error: requested 3 cpus not multiple cpus per core = 2',
    });
    expect(m.allocate(pod('q', { name: 'c', cpu: '20' }), 'c', anyHint)).toEqual({
      ok: false,
      reason: 'SMTAlignmentError',
      message: 'SMT Alignment Error: not enough free physical CPUs: available physical CPUs = 10, requested CPUs = 20, CPUs per core = 2',
    });
    const plain = manager();
    plain.start();
    expect(plain.allocate(pod('r', { name: 'c', cpu: '20' }), 'c', anyHint)).toEqual({
      ok: false,
      reason: 'UnexpectedAdmissionError',
      message: 'Allocate failed due to not enough cpus available to satisfy request: requested=20, available=11, which is unexpected',
    });
    expect(plain.allocate(pod('r', { name: 'c', cpu: '2' }), 'missing', anyHint)).toMatchObject({
      ok: false,
      reason: 'UnexpectedAdmissionError',
      message: expect.stringContaining('container "missing" not found in pod default/pod-r'),
    });
    expect(plain.listAllocations()).toEqual([]);
  });

  it('rejects the container and keeps memory unchanged when the state file cannot be written', () => {
    const m = manager();
    m.start();
    rmSync(stateFile());
    mkdirSync(join(stateFile(), 'blocker'), { recursive: true });
    const result = m.allocate(pod('p', { name: 'c', cpu: '2' }), 'c', anyHint);
    expect(result).toMatchObject({ ok: false, reason: 'UnexpectedAdmissionError' });
    expect(m.listAllocations()).toEqual([]);
    expect(m.sharedPool().toString()).toBe('0-11');
  });

  it('serves pod-scope hints over the pod effective request', () => {
    const m = manager();
    m.start();
    const p = makePod({ uid: 'p', init: [{ name: 'init', cpu: '6' }], containers: [{ name: 'a', cpu: '2' }, { name: 'b', cpu: '2' }] });
    // max(init 6, apps 2 + 2) = 6 CPUs; NUMA 0 has only 5 left beside the reserved CPU 0.
    expect(hintsAsData(m.getPodTopologyHints(p))).toEqual([[[1], true], [[0, 1], false]]);
  });

  it('counts pinning requests and errors under the upstream metric names', () => {
    const m = manager();
    m.start();
    m.allocate(pod('a', { name: 'c', cpu: '4' }), 'c', anyHint);
    m.allocate(pod('b', { name: 'c', cpu: '20' }), 'c', anyHint);
    m.allocate(pod('c', { name: 'c', cpu: '1', limit: '2' }), 'c', anyHint);
    expect(m.metrics()).toEqual({
      kubelet_cpu_manager_pinning_requests_total: 2,
      kubelet_cpu_manager_pinning_errors_total: 1,
      kubelet_cpu_manager_shared_pool_size_millicores: 7000,
      kubelet_cpu_manager_exclusive_cpu_allocation_count: 4,
    });
  });

  it('refuses a pod without a UID', () => {
    const m = manager();
    m.start();
    const p: Pod = { ...pod('x', { name: 'c', cpu: '2' }), metadata: { name: 'x', namespace: 'default' } };
    expect(m.allocate(p, 'c', anyHint)).toMatchObject({ ok: false, reason: 'UnexpectedAdmissionError', message: expect.stringContaining('has no metadata.uid') });
  });

  it('refuses to work before start', () => {
    const m = manager();
    expect(() => m.sharedPool()).toThrow('not started');
    expect(() => m.allocate(pod('p', { name: 'c', cpu: '1' }), 'c', anyHint)).toThrow('not started');
  });
});

describe('the none policy through the manager', () => {
  it('writes an empty state, gives no hints and leaves cpusets to the runtime', () => {
    const m = manager({});
    m.start();
    expect(readFileSync(stateFile(), 'utf8')).toMatch(/^\{"policyName":"none","defaultCpuSet":"","checksum":\d+\}$/);
    const gu = pod('gu', { name: 'app', cpu: '2' });
    expect(m.getTopologyHints(gu, 'app').size).toBe(0);
    expect(m.getPodTopologyHints(gu).size).toBe(0);
    expect(m.allocate(gu, 'app', anyHint)).toEqual({ ok: true, allocation: { podUID: 'gu', containerName: 'app' } });
    expect(m.sharedPool().toString()).toBe('0-11');
    expect(m.listAllocations()).toEqual([]);
  });
});

describe('state that no longer fits: migrate or refuse', () => {
  function writeState(policyName: string, defaultCpuSet: string, entries: Record<string, Record<string, string>> = {}): string {
    const content = encodeCheckpoint({
      policyName,
      defaultCpuSet,
      entries: new Map(Object.entries(entries).map(([p, cs]) => [p, new Map(Object.entries(cs))])),
    });
    writeFileSync(stateFile(), content);
    return content;
  }

  it('migrates none to static when nothing is pinned, and says so', () => {
    writeState('none', '');
    const m = manager();
    m.start();
    expect(readState()).toMatchObject({ policyName: 'static' });
    expect(readState().defaultCPUSet.toString()).toBe('0-11');
    expect(logs.find((l) => l['level'] === 40)).toMatchObject({ from: 'none', to: 'static', file: stateFile() });
  });

  it('migrates static to none when nothing is pinned', () => {
    writeState('static', '0-11');
    const m = manager({});
    m.start();
    expect(readFileSync(stateFile(), 'utf8')).toMatch(/^\{"policyName":"none","defaultCpuSet":"","checksum":\d+\}$/);
  });

  it('refuses static to none while pods hold exclusive CPUs, naming the remedy, and leaves the file alone', () => {
    const content = writeState('static', '0-1,3-7,9-11', { gu: { app: '2,8' } });
    const err = caught(() => manager({}).start());
    expect(err).toBeInstanceOf(StaleStateError);
    const stale = err as StaleStateError;
    expect(stale).toMatchObject({ file: stateFile(), field: 'policyName', podUIDs: ['gu'] });
    expect(stale.problem).toBe('is "static" but cpuManagerPolicy is "none", and pods hold exclusive CPUs in it (gu)');
    expect(stale.remedy).toBe(
      `set cpuManagerPolicy back to "static", or drain the node (or stop pods gu), then delete ${stateFile()} and restart the cpu-manager plugin`,
    );
    expect(stale.message).toContain(stateFile());
    expect(readFileSync(stateFile(), 'utf8')).toBe(content);
  });

  it('migrates when the pinned pods are gone', () => {
    writeState('static', '0-1,3-7,9-11', { gu: { app: '2,8' } });
    const m = manager({});
    m.start([]);
    expect(readState().policyName).toBe('none');
  });

  it('refuses when the new reservation takes a pinned CPU', () => {
    writeState('static', '0-1,3-7,9-11', { gu: { app: '2,8' } });
    const err = caught(() => manager({ cpuManagerPolicy: 'static', reservedSystemCPUs: '2' }).start());
    expect(err).toBeInstanceOf(StaleStateError);
    expect(err).toMatchObject({ field: 'entries["gu"]["app"]', podUIDs: ['gu'] });
    expect((err as StaleStateError).problem).toBe('holds cpus "2" that the configuration now reserves (reserved: "2")');
    expect((err as StaleStateError).remedy).toContain(`delete ${stateFile()}`);
  });

  it('migrates the shared pool when strict-cpu-reservation is switched on, without touching pinned CPUs', () => {
    writeState('static', '0-1,3-7,9-11', { gu: { app: '2,8' } });
    const m = manager({ cpuManagerPolicy: 'static', reservedSystemCPUs: '0-1', cpuManagerPolicyOptions: { 'strict-cpu-reservation': 'true' } });
    m.start();
    expect(m.sharedPool().toString()).toBe('3-7,9-11');
    expect(m.cpusetFor('gu', 'app').toString()).toBe('2,8');
    expect(logs.some((l) => String(l['msg']).startsWith('CPU manager state was written without strict-cpu-reservation'))).toBe(true);
  });

  it.each([
    ['a shared pool naming CPUs the machine lacks', '0-1,3-7,9-13', StaleStateError, 'defaultCpuSet', '"0-1,3-7,9-13" names cpus "12-13" that are not on this machine (it has "0-11")'],
    ['reserved CPUs missing from the shared pool', '1,3-7,9-10', StaleStateError, 'defaultCpuSet', '"1,3-7,9-10" lacks reserved cpus "0" (reserved: "0"): not all reserved cpus are present in defaultCpuSet'],
    ['an empty shared pool while pods hold CPUs', '', StateFileError, 'defaultCpuSet', 'is empty while containers hold exclusive cpus "2,8" (default cpuset cannot be empty)'],
  ])('refuses %s, naming the file and field, and leaves the file alone', (_name, defaultCpuSet, kind, field, problem) => {
    const content = writeState('static', defaultCpuSet, { gu: { app: '2,8' } });
    const err = caught(() => manager({ cpuManagerPolicy: 'static', reservedSystemCPUs: '0' }).start());
    expect(err).toBeInstanceOf(kind);
    expect(err).toMatchObject({ file: stateFile(), field });
    expect((err as StaleStateError).problem).toBe(problem);
    expect((err as Error).message).toContain(`${stateFile()}: defaultCpuSet: `);
    expect(readFileSync(stateFile(), 'utf8')).toBe(content);
  });

  it('checks no CPUs in a none policy state file, as upstream', () => {
    const content = writeState('none', '0-40');
    const m = manager({});
    m.start();
    expect(m.sharedPool().toString()).toBe('0-11');
    expect(readFileSync(stateFile(), 'utf8')).toBe(content);
  });

  it('refuses a pinned CPU the machine lacks', () => {
    writeState('static', '0-1,3-7,9-11', { gu: { app: '2,8,12' } });
    const err = caught(() => manager().start());
    expect(err).toBeInstanceOf(StaleStateError);
    expect(err).toMatchObject({ field: 'entries["gu"]["app"]' });
    expect((err as Error).message).toContain('holds cpus "12" that are not on this machine (it has "0-11")');
  });

  it.each([
    ['truncated', '{"policyName":"static","defaultCpuSet":"0-1', '(file)', 'truncated or corrupt'],
    ['empty', '', '(file)', 'the file is empty'],
    ['wrong checksum', '{"policyName":"static","defaultCpuSet":"0-11","checksum":42}', 'checksum', '42 does not match the content'],
    ['unparsable cpus', '{"policyName":"static","defaultCpuSet":"0-11","entries":{"p":{"c":"x"}},"checksum":0}', 'entries["p"]["c"]', 'invalid cpu list "x"'],
    ['overlapping pools', '{"policyName":"static","defaultCpuSet":"0-11","entries":{"p":{"c":"2"}},"checksum":0}', 'entries["p"]["c"]', 'overlaps defaultCpuSet'],
  ])('refuses a %s state file with StateFileError, leaving it in place', (_name, content, field, problem) => {
    writeFileSync(stateFile(), content);
    const err = caught(() => manager().start());
    expect(err).toBeInstanceOf(StateFileError);
    expect(err).toMatchObject({ file: stateFile(), field });
    expect((err as StateFileError).problem).toContain(problem);
    expect((err as StateFileError).remedy).toContain(`delete ${stateFile()}`);
    expect(readFileSync(stateFile(), 'utf8')).toBe(content);
  });
});
