import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kerneletBin } from '@kernelet/sdk/testing';
import { repoPath } from '../support/paths.js';

let stateDir: string;
const example = (file: string) => repoPath(`examples/simulate/${file}`);

function simulate(args: string[]): { code: number | null; stdout: string; stderr: string; lines: Record<string, unknown>[] } {
  const run = spawnSync(process.execPath, [kerneletBin(), 'simulate', ...args], { encoding: 'utf8', timeout: 60_000 });
  const lines = run.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, lines };
}

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'ksim-state-'));
});

afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('kernelet simulate', () => {
  it('prints the examples README output exactly, over a sequence of runs sharing state', async () => {
    const readme = await readFile(example('README.md'), 'utf8');
    const expected = [...readme.matchAll(/^(\{"pod".*)$/gm)].map((m) => m[1]);
    const base = ['--machine', example('machine.json'), '--config', example('kubelet.yaml'), '--state-dir', stateDir];

    const first = simulate([...base, example('database.yaml'), example('web.yaml')]);
    expect(first.code).toBe(0);
    const second = simulate([...base, example('batch.yaml')]);
    expect(second.code).toBe(0);
    expect([...first.stdout.split('\n'), ...second.stdout.split('\n')].filter(Boolean)).toEqual(expected);

    const cpuState = JSON.parse(await readFile(join(stateDir, 'cpu_manager_state'), 'utf8')) as { entries: Record<string, Record<string, string>> };
    expect(cpuState.entries['1f0b7e4c-0000-4000-8000-000000000001']).toEqual({ postgres: '2,4,8,10' });
    const memState = JSON.parse(await readFile(join(stateDir, 'memory_manager_state'), 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(memState.entries)).toEqual(['1f0b7e4c-0000-4000-8000-000000000001']);
  });

  it('treats state entries as pods already running: their CPUs are not handed out again', async () => {
    const base = ['--machine', example('machine.json'), '--config', example('kubelet.yaml'), '--state-dir', stateDir];
    expect(simulate([...base, example('database.yaml')]).code).toBe(0);
    const podFile = join(stateDir, 'another.yaml');
    await writeFile(podFile, (await readFile(example('database.yaml'), 'utf8')).replace('name: database', 'name: replica').replace(/uid: .*/, 'uid: replica-uid'));
    const run = simulate([...base, podFile]);
    const cpus = ((run.lines[0]?.['containers'] as { cpus: string }[])[0]?.cpus ?? '').split(',');
    expect(run.lines[0]).toMatchObject({ pod: 'prod/replica', admitted: true });
    for (const cpu of ['2', '4', '8', '10']) expect(cpus).not.toContain(cpu);
  });

  it('counts the pods of the state files in the node resources check (OutOfcpu)', async () => {
    const base = ['--machine', example('machine.json'), '--config', example('kubelet.yaml'), '--state-dir', stateDir];
    expect(simulate([...base, example('database.yaml')]).code).toBe(0);
    // 11 allocatable CPUs (CPU 0 is reserved); the running database holds 4 of them.
    const podFile = join(stateDir, 'batch.yaml');
    await writeFile(
      podFile,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: burst, uid: burst}\nspec:\n  containers:\n  - name: work\n    image: work:1\n    resources:\n      requests: {cpu: "8"}\n',
    );
    const run = simulate([...base, podFile]);
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatchObject({
      pod: 'default/burst',
      admitted: false,
      reason: 'OutOfcpu',
      message: "Node didn't have enough resource: cpu, requested: 8000, used: 4000, capacity: 11000",
    });
  });

  it('creates a --state-dir that does not exist and writes the state files into it', async () => {
    const fresh = join(stateDir, 'new', 'node');
    const run = simulate(['--machine', example('machine.json'), '--config', example('kubelet.yaml'), '--state-dir', fresh, example('database.yaml')]);
    expect(run.code).toBe(0);
    const cpuState = JSON.parse(await readFile(join(fresh, 'cpu_manager_state'), 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(cpuState.entries)).toEqual(['1f0b7e4c-0000-4000-8000-000000000001']);
  });

  it('refuses a --state-dir that is a file', async () => {
    const file = join(stateDir, 'not-a-dir');
    await writeFile(file, '');
    const run = simulate(['--machine', example('machine.json'), '--state-dir', file, example('web.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`kernelet simulate: --state-dir ${file}: not a directory`);
  });

  it('without a configuration (CPU manager none, memory manager None), a container gets the whole machine, as cpuset lists', () => {
    const run = simulate(['--machine', example('machine.json'), example('database.yaml'), example('web.yaml')]);
    expect(run.code).toBe(0);
    expect(run.lines.map((l) => l['containers'])).toEqual([
      [{ name: 'postgres', cpus: '0-11', memoryNodes: '0-1' }],
      [{ name: 'nginx', cpus: '0-11', memoryNodes: '0-1' }],
    ]);
  });

  it.each([
    ['16-numa', ['1,33', '2,34', '4-5,36', '6-8,38-40']],
    ['64-numa', ['1,129', '2,130', '4-5,132', '6-8,134-136']],
  ])('admits pods on the %s machine, each on the fewest NUMA nodes', (machine, cpus) => {
    // Upstream refuses machines past 8 NUMA nodes and its hint providers walk all 2^N node sets.
    const run = simulate([
      '--machine', repoPath(`test/fixtures/topologies/${machine}.json`),
      '--config', repoPath('test/fixtures/simulate/large-numa-kubelet.yaml'),
      repoPath('test/fixtures/simulate/large-numa-pods.yaml'),
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.lines.map((l) => [l['pod'], l['admitted'], l['containers'], l['topologyHint']])).toEqual([
      ['default/small-a', true, [{ name: 'app', cpus: cpus[0], memoryNodes: '0' }], { numaAffinity: [0], preferred: true }],
      ['default/small-b', true, [{ name: 'app', cpus: cpus[1], memoryNodes: '1' }], { numaAffinity: [1], preferred: true }],
      ['default/small-c', true, [{ name: 'app', cpus: cpus[2], memoryNodes: '2' }], { numaAffinity: [2], preferred: true }],
      // Two nodes free of single-node memory, side by side: the narrowest preferred pair.
      ['default/wide', true, [{ name: 'app', cpus: cpus[3], memoryNodes: '3-4' }], { numaAffinity: [3, 4], preferred: true }],
    ]);
  });

  it('refuses, as upstream, an explicit max-allowable-numa-nodes below the machine\'s NUMA nodes, and so does the agent', async () => {
    const config = join(stateDir, 'kubelet.yaml');
    const base = await readFile(repoPath('test/fixtures/simulate/large-numa-kubelet.yaml'), 'utf8');
    await writeFile(config, `${base}topologyManagerPolicyOptions:\n  max-allowable-numa-nodes: "8"\n`);
    const machine = repoPath('test/fixtures/topologies/16-numa.json');
    const message = 'topologyManagerPolicyOptions[max-allowable-numa-nodes]: unsupported on machines with more than 8 NUMA Nodes (this machine has 16;';

    const run = simulate(['--machine', machine, '--config', config, repoPath('test/fixtures/simulate/large-numa-pods.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);

    const agent = spawnSync(process.execPath, [kerneletBin(), '--config', config, '--root-dir', join(stateDir, 'root'), '--machine-info-file', machine, '--healthz-port', '0'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(agent.status).toBe(1);
    expect(agent.stderr).toContain('the configuration does not fit this machine; nothing was started');
    expect(agent.stderr).toContain(message);
  });

  it.each([
    ['a corrupt state file', 'cpu_manager_state', '{"policyName":"static","defaultCpuSet":"0-11","entries":{},"checksum":1', /cpu_manager_state/],
    ['a wrong checksum', 'cpu_manager_state', '{"policyName":"static","defaultCpuSet":"0-11","entries":{},"checksum":12345}', /cpu_manager_state.*checksum/],
    ['CPUs the machine lacks', 'cpu_manager_state', '{"policyName":"static","defaultCpuSet":"1-11","entries":{"p":{"c":"40-41"}},"checksum":0}', /cpu_manager_state/],
  ])('fails with a clear error naming the file for %s', async (_name, file, content, message) => {
    await writeFile(join(stateDir, file), content);
    const run = simulate(['--machine', example('machine.json'), '--config', example('kubelet.yaml'), '--state-dir', stateDir, example('web.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(await readFile(join(stateDir, file), 'utf8')).toBe(content);
  });

  it.each([
    ['no machine', [example('web.yaml')], 2, /--machine is required/],
    ['no pods', ['--machine', example('machine.json')], 2, /no pod files given/],
    ['a machine file with duplicate CPUs', ['--machine', repoPath('test/fixtures/simulate/duplicate-cpus.json'), example('web.yaml')], 1, /duplicate-cpus\.json.*duplicate cpu id 1/],
    ['a file that is not a pod', ['--machine', example('machine.json'), example('kubelet.yaml')], 1, /kubelet\.yaml: kind "KubeletConfiguration" is not Pod/],
  ])('refuses %s', (_name, args, code, message) => {
    const run = simulate(args);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });
});
