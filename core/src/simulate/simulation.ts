import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, TopologyHint } from '@kernelet/sdk/common';
import { CPUSet, maskIds, sumQuantities } from '@kernelet/sdk/common';
import { ADMISSION_MODULES, createAgent } from '../agent/agent.js';
import { AdmissionChain } from '../admission/admission-chain.js';
import { loadAgentOptions } from '../config/load-config.js';
import { validateForMachine } from '../config/machine-validation.js';
import { formatProblem } from '../config/problem.js';
import { Contributions } from '../extension-points/contributions.js';
import { HintProvider } from '../extension-points/hint-provider.js';
import type { Logger } from '../logging/logger.js';
import { loadMachineInfo } from '../machine/load-machine-info.js';
import { PluginReadiness } from '../plugin-registry/plugin-readiness.js';
import { PodStore } from '../pods/pod-store.js';
import { TopologyManager } from '../topology/topology-manager.js';
import { restoredPods } from './restored-pods.js';

/** The state files resource-manager plugins keep in the root directory, in upstream formats. */
export const STATE_FILES = ['cpu_manager_state', 'memory_manager_state'] as const;

export interface SimulationOptions {
  machineFile: string;
  configFile?: string;
  stateDir?: string;
  plugins: readonly string[];
  logger: Logger;
  verbose: boolean;
}

export interface ContainerPlacement {
  name: string;
  cpus: string;
  memoryNodes: string;
}

export interface PodVerdict {
  pod: string;
  admitted: boolean;
  reason: string | null;
  message: string | null;
  containers: ContainerPlacement[];
  topologyHint: { numaAffinity: number[] | null; preferred: boolean } | null;
}

export class SimulationError extends Error {
  override readonly name = 'SimulationError';
}

/**
 * Admits pods in order through the agent's real admission chain, topology manager and
 * resource-manager plugins (run as real plugin processes on a private root directory),
 * against the given machine and prior state, without touching the host: no runtime, no
 * cgroups, nothing outside a temp directory and --state-dir.
 */
export async function simulate(pods: readonly Pod[], options: SimulationOptions): Promise<PodVerdict[]> {
  const rootDir = await mkdtemp(join(tmpdir(), 'ksim-'));
  try {
    const argv = ['--root-dir', rootDir, '--healthz-port', '0', '--machine-info-file', options.machineFile, '--plugins', options.plugins.join(',')];
    const loaded = await loadAgentOptions(options.configFile ? ['--config', options.configFile, ...argv] : argv);
    if (!loaded.ok) throw new SimulationError(`invalid configuration:\n${loaded.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    const machine = await loadMachineInfo({ machineInfoFile: options.machineFile });
    const misfits = validateForMachine(
      loaded.options,
      machine.numaNodes.map((n) => n.id),
      { cpuIds: machine.cpus.map((c) => c.id), memoryCapacityBytes: sumQuantities(machine.numaNodes.map((n) => n.memory)).value() },
    );
    if (misfits.length > 0) throw new SimulationError(`the configuration does not fit the machine:\n${misfits.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    if (options.stateDir) {
      await prepareStateDir(options.stateDir);
      for (const file of STATE_FILES) await copyIfPresent(join(options.stateDir, file), join(rootDir, file));
    }

    const agent = createAgent(loaded.options, {
      logger: options.logger,
      machine,
      modules: ADMISSION_MODULES,
      pluginOutput: options.verbose ? 'stderr' : 'ignore',
    });
    await agent.start();
    try {
      const refused = (await agent.get(PluginReadiness).waitForExpected()).filter((m) => m.state === 'rejected');
      if (refused.length > 0) {
        throw new SimulationError(refused.map((m) => `plugin ${m.name} refused to start: ${m.lastError ?? 'no reason given'}`).join('\n'));
      }
      // Entries of the state files are pods already running: admission counts them too.
      const store = agent.get(PodStore);
      for (const pod of options.stateDir ? await restoredPods(rootDir) : []) store.add(pod);
      const verdicts: PodVerdict[] = [];
      const everything = {
        cpus: CPUSet.from(machine.cpus.map((c) => c.id)).toString(),
        memoryNodes: CPUSet.from(machine.numaNodes.map((n) => n.id)).toString(),
      };
      for (const pod of pods) verdicts.push(await admitOne(agent.get(AdmissionChain), agent.get(TopologyManager), agent.get(Contributions), pod, everything));
      return verdicts;
    } finally {
      await agent.stop();
      if (options.stateDir) for (const file of STATE_FILES) await copyIfPresent(join(rootDir, file), join(options.stateDir, file));
    }
  } finally {
    await rm(rootDir, { recursive: true, force: true });
  }
}

/** What a container gets when no resource manager constrains it: every CPU and every NUMA node of the machine, as cpuset lists. */
interface Unconstrained {
  cpus: string;
  memoryNodes: string;
}

/**
 * Admits one pod and says where each container would run: its own allocation, else the
 * shared pools the providers report, else (a provider with no pool, such as the CPU
 * manager's none policy) the whole machine, as the runtime leaves it.
 */
async function admitOne(chain: AdmissionChain, topology: TopologyManager, contributions: Contributions, pod: Pod, everything: Unconstrained): Promise<PodVerdict> {
  const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  const uid = pod.metadata?.uid ?? '';
  const result = await chain.admit(pod);
  if (!result.admit) return { pod: name, admitted: false, reason: result.reason, message: result.message, containers: [], topologyHint: null };

  let sharedCpus = '';
  let sharedMems = '';
  for (const provider of contributions.getAll<HintProvider>(HintProvider)) {
    const { shared } = await provider.listAllocations();
    sharedCpus ||= shared?.cpusetCpus ?? '';
    sharedMems ||= shared?.cpusetMems ?? '';
  }
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => {
    const allocation = topology.allocationFor(uid, c.name);
    return {
      name: c.name,
      cpus: allocation?.cpusetCpus || sharedCpus || everything.cpus,
      memoryNodes: allocation?.cpusetMems || sharedMems || everything.memoryNodes,
    };
  });
  const first = pod.spec?.containers?.[0]?.name ?? '';
  return { pod: name, admitted: true, reason: null, message: null, containers, topologyHint: hintJSON(topology.getAffinity(uid, first)) };
}

function hintJSON(hint: TopologyHint | undefined): PodVerdict['topologyHint'] {
  if (!hint) return null;
  return { numaAffinity: hint.numaAffinity === null ? null : maskIds(hint.numaAffinity), preferred: hint.preferred };
}

/**
 * A --state-dir that does not exist yet is created (a node with nothing running, as the
 * kubelet creates its root directory); one that is not a directory is an error.
 */
async function prepareStateDir(dir: string): Promise<void> {
  const found = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new SimulationError(`--state-dir ${dir}: ${error.message}`);
  });
  if (found && !found.isDirectory()) throw new SimulationError(`--state-dir ${dir}: not a directory`);
  if (found) return;
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new SimulationError(`--state-dir ${dir}: cannot create the directory: ${(error as Error).message}`);
  }
}

async function copyIfPresent(from: string, to: string): Promise<void> {
  try {
    await copyFile(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
