import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdmissionChain, createAgent, NodeStatus, createLogger, loadAgentOptions, loadMachineInfo, PluginRegistry, TopologyManager, type Agent } from '@kernelet/core';
import { makeTempRootDir, runtimeArgs, type TempRootDir } from '@kernelet/sdk/testing';
import type { Pod } from '@kernelet/sdk/common';
import { CPUSet } from '@kernelet/sdk/common';
import { repoPath } from '../support/paths.js';

let root: TempRootDir;
let agent: Agent | undefined;
let logs: Record<string, unknown>[] = [];

const MACHINE = repoPath('test/fixtures/topologies/dual-socket-ht.json');

async function startAgent(extra: string[]): Promise<Agent> {
  logs = [];
  const loaded = await loadAgentOptions([
    '--root-dir', root.path,
    '--healthz-port', '0',
    '--machine-info-file', MACHINE,
    ...runtimeArgs(root.path, 'none'),
    '--plugins', 'cpu-manager,memory-manager',
    ...extra,
  ]);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const machine = await loadMachineInfo({ machineInfoFile: MACHINE });
  const started = createAgent(loaded.options, { logger: createLogger({ destination: sink }), machine, pluginOutput: 'ignore' });
  await started.start();
  agent = started;
  return started;
}

async function waitFor(state: string, name: string, timeoutMs = 20_000) {
  const registry = agent!.get(PluginRegistry);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entry = registry.list().find((p) => p.name === name && p.state === state);
    if (entry) return entry;
    if (Date.now() > deadline) throw new Error(`${name} not ${state}: ${JSON.stringify(registry.list())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function guaranteedPod(name: string, cpu: string, memory = '1Gi'): Pod {
  const resources = { requests: { cpu, memory }, limits: { cpu, memory } };
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { containers: [{ name: 'main', image: 'busybox', resources }] },
  };
}

beforeEach(async () => {
  root = await makeTempRootDir();
});

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await root.remove();
});

describe('CPU and memory managers as plugins', () => {
  it('gives a Guaranteed pod exclusive CPUs on one NUMA node, and keeps them across a restart', async () => {
    await startAgent(['--cpu-manager-policy', 'static', '--reserved-cpus', '0', '--topology-manager-policy', 'single-numa-node']);
    await waitFor('registered', 'cpu-manager');
    await waitFor('registered', 'memory-manager');

    const result = await agent!.get(AdmissionChain).admit(guaranteedPod('pinned', '2'));
    expect(result).toEqual({ admit: true });
    const allocation = agent!.get(TopologyManager).allocationFor('uid-pinned', 'main');
    const cpus = CPUSet.parse(allocation?.cpusetCpus ?? '');
    expect(cpus.size).toBe(2);
    expect(cpus.has(0)).toBe(false);
    const machine = JSON.parse(await readFile(MACHINE, 'utf8')) as { cpus: { id: number; numa: number; core: number }[] };
    const numaOf = new Set(cpus.toArray().map((id) => machine.cpus.find((c) => c.id === id)?.numa));
    expect(numaOf.size).toBe(1);
    expect(agent!.get(TopologyManager).getAffinity('uid-pinned', 'main')).toMatchObject({ preferred: true });

    const state = JSON.parse(await readFile(join(root.path, 'cpu_manager_state'), 'utf8')) as {
      policyName: string;
      defaultCpuSet: string;
      entries: Record<string, Record<string, string>>;
      checksum: number;
    };
    expect(state.policyName).toBe('static');
    expect(state.entries['uid-pinned']?.['main']).toBe(cpus.toString());
    expect(CPUSet.parse(state.defaultCpuSet).intersection(cpus).isEmpty()).toBe(true);

    // A restarted agent (and plugin host) restores the assignment from the state file.
    await agent!.stop();
    await startAgent(['--cpu-manager-policy', 'static', '--reserved-cpus', '0', '--topology-manager-policy', 'single-numa-node']);
    await waitFor('registered', 'cpu-manager');
    const restored = JSON.parse(await readFile(join(root.path, 'cpu_manager_state'), 'utf8')) as typeof state;
    expect(restored.entries['uid-pinned']?.['main']).toBe(cpus.toString());
  });

  it('rejects a Guaranteed pod that cannot fit on one NUMA node with TopologyAffinityError', async () => {
    await startAgent(['--cpu-manager-policy', 'static', '--reserved-cpus', '0', '--topology-manager-policy', 'single-numa-node']);
    await waitFor('registered', 'cpu-manager');
    await waitFor('registered', 'memory-manager');
    // 12 CPUs, 6 per NUMA node, one reserved: 8 CPUs fit on no single node.
    expect(await agent!.get(AdmissionChain).admit(guaranteedPod('wide', '8'))).toEqual({
      admit: false,
      reason: 'TopologyAffinityError',
      message: 'Resources cannot be allocated with Topology locality',
    });
    expect(agent!.get(TopologyManager).allocationFor('uid-wide', 'main')).toBeUndefined();
  });

  it('refuses the cpu-manager registration with the remedy when a policy change meets pinned CPUs, and stays up', async () => {
    await startAgent(['--cpu-manager-policy', 'static', '--reserved-cpus', '0']);
    await waitFor('registered', 'cpu-manager');
    expect(await agent!.get(AdmissionChain).admit(guaranteedPod('pinned', '2'))).toEqual({ admit: true });
    await agent!.stop();

    await startAgent(['--cpu-manager-policy', 'none']);
    const refused = await waitFor('rejected', 'cpu-manager');
    expect(refused.lastError).toMatch(/^RegisterPlugin error -- plugin registration failed with err: Configure failed: .*cpu_manager_state: policyName: .*to recover: /);
    await waitFor('registered', 'memory-manager');
    expect(logs.some((l) => l['msg'] === 'plugin registration refused' && l['plugin'] === 'cpu-manager')).toBe(true);
    // The refusal is on the node's status too, with the remedy, where `kubectl describe node` shows it.
    const condition = agent!.get(NodeStatus).conditions().find((c) => c.type === 'PluginRegistrationRefused');
    expect(condition).toMatchObject({ status: 'True', reason: 'PluginConfigurationRefused' });
    expect(condition?.message).toMatch(/^cpu-manager: Configure failed: .*to recover: /);
    // The state file is left as it was: the pinned pod keeps its CPUs.
    const state = JSON.parse(await readFile(join(root.path, 'cpu_manager_state'), 'utf8')) as { policyName: string; entries: Record<string, unknown> };
    expect(state.policyName).toBe('static');
    expect(Object.keys(state.entries)).toEqual(['uid-pinned']);
  });

  it('makes a new Guaranteed pod wait while the CPU manager is down, then places it with exclusive CPUs', async () => {
    await startAgent(['--cpu-manager-policy', 'static', '--reserved-cpus', '0']);
    const before = await waitFor('registered', 'cpu-manager');
    await waitFor('registered', 'memory-manager');
    expect(before.pid).toBeGreaterThan(0);
    process.kill(before.pid as number, 'SIGKILL');
    await waitFor('disconnected', 'cpu-manager');

    // The supervisor restarts the plugin host after its 1 s backoff; admission waits for it
    // instead of placing the pod as if there were no CPU manager.
    const result = await agent!.get(AdmissionChain).admit(guaranteedPod('patient', '2'));
    expect(result).toEqual({ admit: true });
    expect(CPUSet.parse(agent!.get(TopologyManager).allocationFor('uid-patient', 'main')?.cpusetCpus ?? '').size).toBe(2);
  });

  it('migrates a stale state file when nothing is pinned, and says so', async () => {
    await writeFile(join(root.path, 'cpu_manager_state'), JSON.stringify({ policyName: 'none', defaultCpuSet: '', checksum: 0 }));
    await startAgent(['--cpu-manager-policy', 'static', '--reserved-cpus', '0']);
    await waitFor('registered', 'cpu-manager');
    const state = JSON.parse(await readFile(join(root.path, 'cpu_manager_state'), 'utf8')) as { policyName: string };
    expect(state.policyName).toBe('static');
    await waitFor('registered', 'memory-manager');
    expect(agent!.get(NodeStatus).conditions().find((c) => c.type === 'PluginRegistrationRefused')).toMatchObject({ status: 'False', reason: 'PluginsAccepted' });
  });
});
