import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { v1alpha1 } from '@kernelet/proto';
import { podToWire } from '@kernelet/sdk/common';
import { Writable } from 'node:stream';
import { AdmitHandler, Contributions, createAgent, createLogger, loadAgentOptions, PLUGIN_NODE_FLAGS, PluginRegistry, type Agent } from '@kernelet/core';
import { makeTempRootDir, ProcessHandle, runtimeArgs, startAgent, startPlugin, type TempRootDir } from '@kernelet/sdk/testing';
import { fixturePlugin } from '../support/paths.js';
import { testPod } from '../support/pods.js';
import { percentile, type Bench, type BenchRow } from './bench.js';

const CALLS = 10_000;
const ECHO_METHOD = '/kernelet.bench.Echo/Call';
const REGISTRATIONS = 20;

async function inProcessAgent(root: TempRootDir): Promise<Agent> {
  const loaded = await loadAgentOptions(['--root-dir', root.path, '--healthz-port', '0', ...runtimeArgs(root.path, 'none')]);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const silent = new Writable({ write: (_c, _e, done) => done() });
  const agent = createAgent(loaded.options, { logger: createLogger({ destination: silent }) });
  await agent.start();
  return agent;
}

function waitBound(agent: Agent, name: string): Promise<number> {
  return new Promise((resolve) => {
    const registry = agent.get(PluginRegistry);
    if (registry.list().some((p) => p.name === name && p.state === 'registered')) return resolve(Date.now());
    const stop = registry.onDidChange((event) => {
      if (event.kind === 'bound' && event.name === name) {
        stop();
        resolve(Date.now());
      }
    });
  });
}

/** Times `call` CALLS times after a warm-up; returns the samples in ms. */
async function timeCalls(call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 500; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Admit round trips through the agent's AdmitHandler to a plugin process started with `nodeFlags`. */
async function admitSamples(nodeFlags: readonly string[]): Promise<number[]> {
  const root = await makeTempRootDir();
  const agent = await inProcessAgent(root);
  const plugin = startPlugin(fixturePlugin('trivial-one'), { rootDir: root.path, env: { TRIVIAL_NAME: 'echo' }, nodeFlags });
  try {
    await waitBound(agent, 'echo');
    const handler = agent.get(Contributions).getAll<AdmitHandler>(AdmitHandler).find((h) => h.name === 'echo');
    if (!handler) throw new Error('echo plugin not bound');
    const pod = testPod('bench');
    return await timeCalls(async () => {
      const result = await handler.admit(pod);
      if (!result.admit) throw new Error(`unexpected rejection ${JSON.stringify(result)}`);
    });
  } finally {
    await plugin.kill('SIGKILL');
    await agent.stop();
    await root.remove();
  }
}

/**
 * The same request bytes as one unary call to a bare grpc-js server in another process: what
 * a unary rpc alone costs here. The agent sends Admit as a message on the plugin's Calls stream
 * instead, which is why its round trip can be cheaper than this.
 */
async function transportFloorSamples(): Promise<number[]> {
  const root = await makeTempRootDir();
  const socket = join(root.path, 'echo.sock');
  const server = ProcessHandle.spawnNode(fileURLToPath(new URL('./grpc-echo-server.js', import.meta.url)), [socket, ECHO_METHOD]);
  const client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
  try {
    await server.waitForLine((line) => line.raw === 'serving');
    const request = Buffer.from(v1alpha1.AdmitRequest.encode({ pod: podToWire(testPod('bench')) }).finish());
    const identity = (b: Buffer): Buffer => b;
    return await timeCalls(
      () =>
        new Promise<Buffer>((resolve, reject) =>
          client.makeUnaryRequest(ECHO_METHOD, identity, identity, request, new grpc.Metadata(), { deadline: Date.now() + 2000 }, (err, reply) =>
            err || !reply ? reject(err ?? new Error('no reply')) : resolve(reply),
          ),
        ),
    );
  } finally {
    client.close();
    await server.kill('SIGTERM');
    await root.remove();
  }
}

async function admitRoundTrip(): Promise<BenchRow[]> {
  const floor = await transportFloorSamples();
  const thirdParty = await admitSamples([]);
  const hosted = await admitSamples(PLUGIN_NODE_FLAGS);
  return [
    { metric: `unary gRPC alone: same request to a bare grpc-js server, p50 (${CALLS} calls)`, value: percentile(floor, 50), unit: 'ms' },
    { metric: 'unary gRPC alone: p99', value: percentile(floor, 99), unit: 'ms' },
    { metric: `Admit round trip p50 (${CALLS} calls)`, value: percentile(thirdParty, 50), unit: 'ms', target: '<= 0.3 ms' },
    { metric: `Admit round trip p99 (${CALLS} calls)`, value: percentile(thirdParty, 99), unit: 'ms', target: '<= 1 ms' },
    { metric: 'Admit round trip to a plugin under the plugin host\'s V8 flags, p50', value: percentile(hosted, 50), unit: 'ms' },
    { metric: 'Admit round trip to a plugin under the plugin host\'s V8 flags, p99', value: percentile(hosted, 99), unit: 'ms' },
  ];
}

async function registrationLatency(): Promise<BenchRow[]> {
  const root = await makeTempRootDir();
  const agent = await inProcessAgent(root);
  const samples: number[] = [];
  try {
    for (let i = 0; i < REGISTRATIONS; i++) {
      const name = `reg-${i}`;
      const bound = waitBound(agent, name);
      const plugin = startPlugin(fixturePlugin('trivial-one'), { rootDir: root.path, env: { TRIVIAL_NAME: name } });
      // The plugin logs "plugin serving" right after its socket exists; pino's time is epoch ms.
      const serving = await plugin.waitForLog('plugin serving');
      samples.push((await bound) - (serving['time'] as number));
      await plugin.kill('SIGTERM');
    }
  } finally {
    await agent.stop();
    await root.remove();
  }
  return [
    { metric: `registration, socket created -> bound, p50 (${REGISTRATIONS} plugins)`, value: percentile(samples, 50), unit: 'ms', target: '<= 200 ms' },
    { metric: `registration, socket created -> bound, max`, value: Math.max(...samples), unit: 'ms', target: '<= 200 ms' },
  ];
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 'NaN');
  return kb / 1024;
}

const settle = () => new Promise((r) => setTimeout(r, 3000));

async function memory(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const root = await makeTempRootDir();
  try {
    const idle = await startAgent({ rootDir: root.path });
    await settle();
    rows.push({ metric: 'agent RSS, idle, no plugins', value: await rssMiB(idle.pid), unit: 'MiB' });
    await idle.kill('SIGTERM');

    const shared = await startAgent({ rootDir: root.path, args: ['--plugins', fixturePlugin('trivial-plugins')] });
    const entries = await Promise.all(['trivial-a', 'trivial-b', 'trivial-c', 'trivial-d'].map((n) => shared.waitForPlugin(n, 'registered')));
    await settle();
    const hostPid = entries[0]?.process?.pid as number;
    rows.push({ metric: 'one plugin-host process carrying 4 trivial plugins', value: await rssMiB(hostPid), unit: 'MiB' });
    await shared.kill('SIGTERM');

    // The same V8 flags as the shared host, so the two rows differ only in the process count.
    const separate: ProcessHandle[] = ['a', 'b', 'c', 'd'].map((n) =>
      startPlugin(fixturePlugin('trivial-one'), { rootDir: root.path, env: { TRIVIAL_NAME: `solo-${n}` }, nodeFlags: PLUGIN_NODE_FLAGS }),
    );
    await Promise.all(separate.map((p) => p.waitForLog('plugin serving')));
    await settle();
    let total = 0;
    for (const p of separate) total += await rssMiB(p.pid);
    rows.push({ metric: '4 trivial plugins in 4 separate processes (sum)', value: total, unit: 'MiB' });
    await Promise.all(separate.map((p) => p.kill('SIGTERM')));
  } finally {
    await root.remove();
  }
  return rows;
}

export const bench: Bench = {
  name: 'microkernel: plugin round trip, registration, memory',
  async run() {
    return [...(await admitRoundTrip()), ...(await registrationLatency()), ...(await memory())];
  },
};
