/**
 * Static CPU allocation per container on a 2-socket, 96-thread machine
 * (test/fixtures/topologies/cpu-dual-socket-ht-96.json): containers of 1 to 16
 * CPUs are admitted under rotating NUMA hints until the machine is full, then
 * removed, over and over. Measured: the policy's choice alone, the same through
 * the CpuManager with its durable state write, topology hints, and the
 * NUMA-distributing option.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { CPUSet, maskOf, parseMachineInfo, type Pod, type TopologyHint } from '@kernelet/sdk/common';
import { CPUTopology, CpuManager, MemoryState, StaticPolicy } from '@kernelet/plugin-cpu-manager';
import { percentile, type Bench, type BenchRow } from './bench.js';

const MACHINE_FILE = new URL('../../fixtures/topologies/cpu-dual-socket-ht-96.json', import.meta.url);
const SIZES = [1, 2, 4, 8, 3, 16, 2, 6, 1, 12];
const ROUNDS = 200;
const REPETITIONS = 5;
const HINTS: (TopologyHint | null)[] = [null, { numaAffinity: maskOf([0]), preferred: true }, { numaAffinity: maskOf([1]), preferred: true }];

function pod(uid: string, cpus: number): Pod {
  const resources = { requests: { cpu: String(cpus), memory: '1Gi' }, limits: { cpu: String(cpus), memory: '1Gi' } };
  return { metadata: { uid, name: uid, namespace: 'bench' }, spec: { containers: [{ name: 'app', resources }] } };
}

/** Fills the machine with containers, then empties it; calls `allocate` per container and times it. */
function churn(
  rounds: number,
  allocate: (p: Pod, hint: TopologyHint | null) => boolean,
  remove: (uid: string) => void,
): number[] {
  const samples: number[] = [];
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    const admitted: string[] = [];
    for (let i = 0; ; i++) {
      const p = pod(`pod-${round}-${i}`, SIZES[(n + i) % SIZES.length] as number);
      const hint = HINTS[(n + i) % HINTS.length] ?? null;
      const start = process.hrtime.bigint();
      const ok = allocate(p, hint);
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (!ok) break;
      admitted.push(p.metadata?.uid ?? '');
    }
    n++;
    // Remove in an order that fragments the free CPUs.
    for (const uid of [...admitted.filter((_, i) => i % 2 === 1), ...admitted.filter((_, i) => i % 2 === 0)]) remove(uid);
  }
  return samples;
}

function rows(label: string, samples: readonly number[], target?: string): BenchRow[] {
  return [
    { metric: `${label} p50`, value: percentile(samples, 50), unit: 'ms' },
    { metric: `${label} p99`, value: percentile(samples, 99), unit: 'ms', ...(target ? { target } : {}) },
  ];
}

export const bench: Bench = {
  name: 'cpu manager: static allocation, 2 sockets x 48 threads',
  async run() {
    const machine = parseMachineInfo(JSON.parse(readFileSync(MACHINE_FILE, 'utf8')), MACHINE_FILE.pathname);
    const topo = CPUTopology.fromMachine(machine);
    const out: BenchRow[] = [];

    const policyRun = (options?: { distributeCPUsAcrossNUMA: boolean }) => {
      const policy = new StaticPolicy(topo, 2, CPUSet.EMPTY, {
        fullPhysicalCPUsOnly: false,
        distributeCPUsAcrossNUMA: options?.distributeCPUsAcrossNUMA ?? false,
        alignBySocket: false,
        distributeCPUsAcrossCores: false,
        strictCPUReservation: false,
        preferAlignByUncoreCache: false,
      });
      const state = new MemoryState();
      policy.start(state);
      const allocate = (p: Pod, hint: TopologyHint | null): boolean => {
        try {
          policy.allocate(state, p, p.spec?.containers[0] as never, hint);
          return true;
        } catch {
          return false;
        }
      };
      const remove = (uid: string) => policy.removeContainer(state, uid, 'app');
      return { samples: churn(ROUNDS, allocate, remove), policy, state };
    };

    // The workload is deterministic, so the i-th call does the same work in every
    // repetition. The best of the repetitions per call filters out preemption by
    // other processes on a shared machine; the plain figures keep it.
    const measure = (options?: { distributeCPUsAcrossNUMA: boolean }) => {
      policyRun(options); // warm-up
      const runs = Array.from({ length: REPETITIONS }, () => policyRun(options));
      const first = runs[0] as ReturnType<typeof policyRun>;
      const best = first.samples.map((_, i) => Math.min(...runs.map((r) => r.samples[i] ?? Infinity)));
      return { first, best };
    };

    const packed = measure();
    out.push({ metric: 'allocate calls per repetition', value: packed.first.samples.length, unit: 'calls' });
    out.push(...rows('allocate, policy', packed.first.samples));
    out.push(...rows('allocate, policy, best of 5 per call', packed.best, '<= 1 ms'));

    const distributed = measure({ distributeCPUsAcrossNUMA: true });
    out.push(...rows('allocate, distribute-cpus-across-numa', distributed.first.samples));
    out.push(...rows('allocate, distribute-cpus-across-numa, best of 5 per call', distributed.best, '<= 1 ms'));

    const hintSamples: number[] = [];
    const hintPolicy = packed.first.policy;
    for (let i = 0; i < 2000; i++) {
      const p = pod(`hint-${i}`, SIZES[i % SIZES.length] as number);
      const start = process.hrtime.bigint();
      hintPolicy.getTopologyHints(packed.first.state, p, p.spec?.containers[0] as never);
      hintSamples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    out.push(...rows('topology hints', hintSamples));

    const dir = mkdtempSync(join(tmpdir(), 'kernelet-cpu-bench-'));
    try {
      const manager = new CpuManager({
        machine,
        kubeletConfig: { cpuManagerPolicy: 'static', kubeReserved: { cpu: '2' } },
        stateDir: dir,
        logger: pino({ level: 'silent' }),
      });
      manager.start();
      const allocate = (p: Pod, hint: TopologyHint | null): boolean =>
        manager.allocate(p, 'app', hint ?? { numaAffinity: null, preferred: true }).ok;
      const remove = (uid: string) => manager.removeContainer(uid, 'app');
      churn(3, allocate, remove);
      const samples = churn(40, allocate, remove);
      out.push(...rows('allocate via CpuManager, incl. fsync of cpu_manager_state', samples));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return out;
  },
};
