import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Registry } from 'prom-client';
import { AdmissionChain, createAgent, createLogger, loadAgentOptions, MetricsRegistry, PluginRegistry, type Agent, type AgentOptions } from '@kernelet/core';
import { makeTempRootDir, runtimeArgs, startPlugin, type ProcessHandle, type TempRootDir } from '@kernelet/sdk/testing';
import { fixturePlugin } from './support/paths.js';
import { testPod } from './support/pods.js';

let root: TempRootDir;
let agent: Agent;
let logs: Record<string, unknown>[];
const processes: ProcessHandle[] = [];

const CALL_TIMEOUT_MS = 300;
const labelAdmitMain = fileURLToPath(import.meta.resolve('@kernelet/example-label-admit').replace(/plugin\.js$/, 'main.js'));

async function startInProcessAgent(kernelet: Partial<AgentOptions['kernelet']> = {}): Promise<void> {
  logs = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const loaded = await loadAgentOptions([
    '--root-dir', root.path,
    '--healthz-port', '0',
    '--hostname-override', 'node-a',
    ...runtimeArgs(root.path, 'none'),
    '--plugin-call-timeout', `${CALL_TIMEOUT_MS}ms`,
  ]);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const options: AgentOptions = { ...loaded.options, kernelet: { ...loaded.options.kernelet, ...kernelet } };
  agent = createAgent(options, { logger: createLogger({ destination: sink }) });
  await agent.start();
}

async function waitRegistered(name: string): Promise<void> {
  const registry = agent.get(PluginRegistry);
  const deadline = Date.now() + 10_000;
  while (!registry.list().some((p) => p.name === name && p.state === 'registered')) {
    if (Date.now() > deadline) throw new Error(`${name} not registered: ${JSON.stringify(registry.list())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitState(name: string, state: string): Promise<void> {
  const registry = agent.get(PluginRegistry);
  const deadline = Date.now() + 10_000;
  while (!registry.list().some((p) => p.name === name && p.state === state)) {
    if (Date.now() > deadline) throw new Error(`${name} not ${state}: ${JSON.stringify(registry.list())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeEach(async () => {
  root = await makeTempRootDir();
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
  await agent?.stop();
  await root.remove();
});

describe('the admission chain with admit-handler plugins', () => {
  it('runs the example plugin: a labelled pod is rejected, others are admitted', async () => {
    await startInProcessAgent();
    processes.push(startPlugin(labelAdmitMain, { rootDir: root.path }));
    await waitRegistered('label-admit');
    const chain = agent.get(AdmissionChain);

    expect(await chain.admit(testPod('plain', { app: 'web' }))).toEqual({ admit: true });
    expect(await chain.admit(testPod('denied', { 'kernelet.io/deny': 'yes' }))).toEqual({
      admit: false,
      reason: 'PodLabelDenied',
      message: 'pods labelled kernelet.io/deny (here "yes") may not run on node node-a',
    });
  });

  it('gives a hung plugin its deadline, then rejects with UnexpectedAdmissionError (failure policy Fail)', async () => {
    await startInProcessAgent();
    processes.push(startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'sleepy', ADMIT_SLEEP_MS: '30000' } }));
    await waitRegistered('sleepy');

    const started = performance.now();
    const result = await agent.get(AdmissionChain).admit(testPod('waits'));
    const elapsed = performance.now() - started;

    expect(result).toMatchObject({ admit: false, reason: 'UnexpectedAdmissionError' });
    expect(result.admit ? '' : result.message).toMatch(/^admission plugin sleepy failed: .*DEADLINE_EXCEEDED/);
    expect(elapsed).toBeGreaterThanOrEqual(CALL_TIMEOUT_MS - 5);
    // Returns right after the deadline (the plugin would sleep 30 s); slack for a loaded 2-core machine.
    expect(elapsed).toBeLessThan(CALL_TIMEOUT_MS + 1000);

    // A GetInfo refused while the plugin was between bind and listen may be logged first.
    const failure = logs.find((l) => l['msg'] === 'plugin call failed' && l['method'] === 'Admit');
    expect(failure).toMatchObject({ plugin: 'sleepy', service: 'AdmitHandler', method: 'Admit', code: 'DEADLINE_EXCEEDED', deadlineMs: CALL_TIMEOUT_MS });
    expect(failure?.['durationMs']).toBeGreaterThanOrEqual(CALL_TIMEOUT_MS - 5);
    const metrics = await agent.get<Registry>(MetricsRegistry).metrics();
    expect(metrics).toContain('kernelet_plugin_call_failures_total{plugin="sleepy",service="AdmitHandler",method="Admit",code="DEADLINE_EXCEEDED"} 1');
    expect(agent.get(PluginRegistry).list().find((p) => p.name === 'sleepy')).toMatchObject({
      state: 'registered',
      lastError: expect.stringMatching(/^AdmitHandler\.Admit failed: DEADLINE_EXCEEDED: /),
      callFailures: 1,
    });
  });

  it('gives a hung hint provider its deadline on its call stream, then places the next pod on it', async () => {
    await startInProcessAgent();
    processes.push(startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'stuck', ALLOCATE_SLEEP_MS: '30000' } }));
    await waitRegistered('stuck');
    const chain = agent.get(AdmissionChain);

    const started = performance.now();
    const result = await chain.admit(testPod('waits', { slow: 'yes' }));
    expect(result).toMatchObject({ admit: false, reason: 'UnexpectedAdmissionError' });
    expect(result.admit ? '' : result.message).toMatch(/^Allocate failed due to hint provider "stuck": .*(DEADLINE_EXCEEDED|no answer within 300ms)/);
    // Returns right after the deadline (the plugin would sleep 30 s); slack for a loaded 2-core machine.
    expect(performance.now() - started).toBeLessThan(CALL_TIMEOUT_MS + 1000);

    // The provider is still bound and its stream still carries calls: the next pod is placed.
    expect(await chain.admit(testPod('next'))).toEqual({ admit: true });
    const metrics = await agent.get<Registry>(MetricsRegistry).metrics();
    expect(metrics).toContain('kernelet_plugin_call_duration_seconds_count{plugin="stuck",service="HintProvider",method="Allocate",code="OK"} 1');
    expect(agent.get(PluginRegistry).list().find((p) => p.name === 'stuck')).toMatchObject({ state: 'registered' });
  });

  it('admits when the hung plugin\'s failure policy is Ignore', async () => {
    await startInProcessAgent({ pluginFailurePolicies: { sleepy: 'Ignore' } });
    processes.push(startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'sleepy', ADMIT_SLEEP_MS: '30000' } }));
    await waitRegistered('sleepy');
    const started = performance.now();
    expect(await agent.get(AdmissionChain).admit(testPod('goes-ahead'))).toEqual({ admit: true });
    expect(performance.now() - started).toBeLessThan(CALL_TIMEOUT_MS + 1000);
  });

  it('treats a malformed reply as a failure of the call and keeps the plugin bound', async () => {
    await startInProcessAgent();
    processes.push(startPlugin(fixturePlugin('raw-registration'), { rootDir: root.path, env: { PLUGIN_NAME: 'mangled', MALFORMED_ADMIT: '1' } }));
    await waitRegistered('mangled');
    const result = await agent.get(AdmissionChain).admit(testPod('victim'));
    expect(result).toMatchObject({ admit: false, reason: 'UnexpectedAdmissionError' });
    expect(result.admit ? '' : result.message).toMatch(/admission plugin mangled failed: .*INTERNAL/);
    expect(agent.get(PluginRegistry).list().find((p) => p.name === 'mangled')).toMatchObject({
      state: 'registered',
      lastError: expect.stringMatching(/^AdmitHandler\.Admit failed: INTERNAL: /),
      callFailures: 1,
    });
  });

  it('waits for a crashed plugin to come back, and admits once it has', async () => {
    await startInProcessAgent({ pluginReadyTimeoutMs: 10_000 });
    const env = { PLUGIN_NAME: 'strict', DENY_LABEL: 'tier' };
    const first = startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env });
    processes.push(first);
    await waitRegistered('strict');
    await first.kill('SIGKILL');
    await waitState('strict', 'disconnected');

    const pending = agent.get(AdmissionChain).admit(testPod('patient', { tier: 'x' }));
    await new Promise((r) => setTimeout(r, 300));
    processes.push(startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env }));
    // The plugin is consulted again once back: the labelled pod is refused by it, not waved through.
    expect(await pending).toMatchObject({ admit: false, reason: 'FixtureDenied' });
  });

  it('rejects pods naming the missing plugin when it does not come back in time', async () => {
    await startInProcessAgent({ pluginReadyTimeoutMs: 500 });
    const plugin = startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'gone' } });
    processes.push(plugin);
    await waitRegistered('gone');
    await plugin.kill('SIGKILL');
    await waitState('gone', 'disconnected');
    // When it was lost: the unbind. Its row's lastErrorTime moves on with each failed reconnect
    // (the first half a second later), so the row may no longer say once this test gets to look.
    const lostAt = Number(logs.find((l) => l['msg'] === 'plugin unbound' && l['plugin'] === 'gone')?.['time']);
    expect(lostAt).toBeGreaterThan(0);
    const chain = agent.get(AdmissionChain);
    const [head, ...behind] = [chain.admit(testPod('orphan')), chain.admit(testPod('orphan-2')), chain.admit(testPod('orphan-3'))];
    const first = await head!;
    // The wait ran to the plugin's deadline, counted from when it was lost (give or take a millisecond).
    expect(Date.now()).toBeGreaterThanOrEqual(lostAt + 500 - 5);
    expect(first).toMatchObject({ admit: false, reason: 'UnexpectedAdmissionError' });
    expect(first.admit ? '' : first.message).toMatch(/plugins the node relies on are not registered: gone \(disconnected: connection lost/);
    // The pods queued behind it do not each wait again: the deadline has passed for all of them.
    const started = performance.now();
    expect(await Promise.all(behind)).toEqual([first, first]);
    expect(performance.now() - started).toBeLessThan(250);
  });

  it('does not wait for a plugin that left on purpose (socket removed)', async () => {
    await startInProcessAgent({ pluginReadyTimeoutMs: 10_000 });
    const plugin = startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'polite', DENY_LABEL: 'tier' } });
    processes.push(plugin);
    await waitRegistered('polite');
    await plugin.kill('SIGTERM');
    while (agent.get(PluginRegistry).list().some((p) => p.name === 'polite')) await new Promise((r) => setTimeout(r, 20));
    const started = performance.now();
    expect(await agent.get(AdmissionChain).admit(testPod('free', { tier: 'x' }))).toEqual({ admit: true });
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
