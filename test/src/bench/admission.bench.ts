import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  AdmissionChain,
  ADMISSION_MODULES,
  Contributions,
  createAgent,
  createLogger,
  HintProvider,
  loadAgentOptions,
  loadMachineInfo,
  PluginReadiness,
  PodStore,
  TopologyManager,
} from '@kernelet/core';
import { writeFileAtomic } from '@kernelet/sdk';
import type { Pod } from '@kernelet/sdk/common';
import { makeTempRootDir, runtimeArgs } from '@kernelet/sdk/testing';
import { repoPath } from '../support/paths.js';
import { percentile, type Bench, type BenchRow } from './bench.js';

/** Pods admitted per machine; KERNELET_BENCH_ADMISSION_PODS lowers it for a quick check. */
const PODS = Number(process.env['KERNELET_BENCH_ADMISSION_PODS'] ?? 500);
/** Admissions before the measured ones: a long-running agent's code paths are compiled and its caches warm. */
const WARM_UP_PODS = Math.min(200, Math.ceil(PODS / 5));

interface AdmissionMachine {
  label: string;
  file: string;
  /** Flags beyond the static CPU manager with CPU 0-1 reserved. */
  flags: string[];
}

/** Both resource managers place memory and CPUs on every machine: the Static memory manager needs its reservation. */
const STATIC_MEMORY_MANAGER = [
  '--memory-manager-policy', 'Static',
  '--kube-reserved', 'memory=500Mi',
  '--eviction-hard', 'memory.available<100Mi',
  '--reserved-memory', '0:memory=600Mi',
];

/**
 * The 96-thread machine runs under best-effort; the 16- and 64-NUMA machines (8Gi and
 * 4 CPUs per node, which upstream refuses past 8 nodes) under restricted, so both
 * providers hint over every node.
 */
const MACHINES: readonly AdmissionMachine[] = [
  { label: '96-thread machine', file: 'cpu-dual-socket-ht-96', flags: ['--topology-manager-policy', 'best-effort', ...STATIC_MEMORY_MANAGER] },
  ...(['16-numa', '64-numa'] as const).map((file) => ({
    label: `${file.split('-')[0]} NUMA nodes`,
    file,
    flags: ['--topology-manager-policy', 'restricted', ...STATIC_MEMORY_MANAGER],
  })),
];

function guaranteed(i: number): Pod {
  const resources = { limits: { cpu: String(1 + (i % 4)), memory: '1Gi' }, requests: { cpu: String(1 + (i % 4)), memory: '1Gi' } };
  return { metadata: { name: `g-${i}`, namespace: 'bench', uid: `bench-${i}` }, spec: { containers: [{ name: 'main', image: 'x', resources }] } };
}

/** A Guaranteed pod admitted by the whole chain: core, topology manager, CPU and memory manager plugins over their sockets. */
async function wholeAdmission(target: AdmissionMachine): Promise<BenchRow[]> {
  const machineFile = repoPath(`test/fixtures/topologies/${target.file}.json`);
  const root = await makeTempRootDir();
  const loaded = await loadAgentOptions([
    '--root-dir', root.path,
    '--healthz-port', '0',
    '--machine-info-file', machineFile,
    ...runtimeArgs(root.path, 'none'),
    '--plugins', 'cpu-manager,memory-manager',
    '--cpu-manager-policy', 'static',
    '--reserved-cpus', '0-1',
    ...target.flags,
  ]);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const silent = new Writable({ write: (_c, _e, done) => done() });
  const agent = createAgent(loaded.options, {
    logger: createLogger({ destination: silent }),
    machine: await loadMachineInfo({ machineInfoFile: machineFile }),
    modules: ADMISSION_MODULES,
    pluginOutput: 'ignore',
  });
  await agent.start();
  try {
    const missing = await agent.get(PluginReadiness).waitForExpected(30_000);
    if (missing.length > 0) throw new Error(`plugins not registered: ${JSON.stringify(missing)}`);
    const chain = agent.get(AdmissionChain);
    const topology = agent.get(TopologyManager);
    const providers = agent.get(Contributions).getAll<HintProvider>(HintProvider);
    const store = agent.get(PodStore);
    const samples: number[] = [];
    const phases = timePhases(providers);
    for (let i = -WARM_UP_PODS; i < PODS; i++) {
      const pod = guaranteed(i + WARM_UP_PODS);
      phases.measuring = i >= 0;
      const started = performance.now();
      const result = await chain.admit(pod);
      if (i >= 0) samples.push(performance.now() - started);
      if (!result.admit) throw new Error(`pod ${i} rejected: ${JSON.stringify(result)}`);
      // Release the pod so the machine never fills up.
      for (const provider of providers) await provider.removeContainer(pod.metadata?.uid ?? '', 'main');
      topology.removePod(pod.metadata?.uid ?? '');
      store.remove(pod.metadata?.uid ?? '');
    }
    return [
      { metric: `whole admission of a Guaranteed pod, p50 (${PODS} pods after ${WARM_UP_PODS} unmeasured, ${target.label})`, value: percentile(samples, 50), unit: 'ms' },
      { metric: `whole admission of a Guaranteed pod, p99 (${target.label})`, value: percentile(samples, 99), unit: 'ms', target: '<= 5 ms' },
      ...phases.rows(target.label),
    ];
  } finally {
    await agent.stop();
    await root.remove();
  }
}

/**
 * Times the two provider rounds of each admission as the topology manager sees them: all
 * providers' hints (asked at once), then all their allocations (at once). What is left of the
 * whole admission is the agent's own work.
 */
function timePhases(providers: readonly HintProvider[]) {
  const rounds = { hints: new Map<string, number[]>(), allocate: new Map<string, number[]>() };
  const timer = {
    measuring: false,
    rows(label: string): BenchRow[] {
      return (['hints', 'allocate'] as const).map((round) => {
        // A round lasts from its first call to its last answer.
        const spans = [...rounds[round].values()].map(([first, ...rest]) => Math.max(...rest) - (first as number));
        return { metric: `  of which the ${round} round, p50 / p99 (${label})`, value: `${percentile(spans, 50).toFixed(2)} / ${percentile(spans, 99).toFixed(2)}`, unit: 'ms' };
      });
    },
  };
  const wrap = <A extends unknown[], R>(round: 'hints' | 'allocate', call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const pod = (args[0] as Pod).metadata?.uid ?? '';
      const started = performance.now();
      const answer = await call(...args);
      if (timer.measuring) {
        const span = rounds[round].get(pod) ?? [started];
        span[0] = Math.min(span[0] as number, started);
        span.push(performance.now());
        rounds[round].set(pod, span);
      }
      return answer;
    };
  for (const provider of providers) {
    provider.getTopologyHints = wrap('hints', provider.getTopologyHints.bind(provider));
    provider.allocate = wrap('allocate', provider.allocate.bind(provider));
  }
  return timer;
}

/**
 * What one state file write (temporary file, fsync, rename: the kubelet's checkpoint write)
 * costs on this disk. Each admitted Guaranteed pod takes two, the CPU and the memory
 * manager's, before their Allocate answers, as upstream's managers write theirs.
 */
async function stateWriteFloor(): Promise<BenchRow[]> {
  const root = await makeTempRootDir();
  try {
    const file = join(root.path, 'floor_state');
    const content = JSON.stringify({ policyName: 'static', defaultCpuSet: '0-95', entries: {}, checksum: 0 }).padEnd(2048);
    const samples: number[] = [];
    for (let i = -WARM_UP_PODS; i < PODS; i++) {
      const started = performance.now();
      writeFileAtomic(file, content);
      if (i >= 0) samples.push(performance.now() - started);
    }
    return [
      { metric: `state file write alone (write, fsync, rename) on this disk, p50 (${PODS} writes)`, value: percentile(samples, 50), unit: 'ms' },
      { metric: 'state file write alone, p99', value: percentile(samples, 99), unit: 'ms' },
    ];
  } finally {
    await root.remove();
  }
}

export const bench: Bench = {
  name: 'NUMA placement: whole admission (core + CPU + memory plugins over sockets)',
  async run() {
    const rows: BenchRow[] = await stateWriteFloor();
    for (const machine of MACHINES) rows.push(...(await wholeAdmission(machine)));
    return rows;
  },
};
