import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessHandle } from './process-handle.js';
import { AgentProcess, type PluginEntry } from './start-agent.js';

function row(name: string, state: string, lastError: string | null = null): PluginEntry {
  const socket = `/r/plugins_registry/${name}.sock`;
  return { name, type: 'KerneletPlugin', services: [], endpoint: socket, socket, state, lastError, lastErrorTime: null, callFailures: 0, registeredSince: null, pid: null, process: null };
}

let server: Server | undefined;

afterEach(async () => {
  await new Promise((done) => server?.close(done) ?? done(undefined));
  server = undefined;
});

/** An agent whose GET /plugins answers each of these lists in turn, then the last one again. */
async function agentAnswering(answers: PluginEntry[][]): Promise<AgentProcess> {
  let asked = 0;
  server = createServer((_req, res) => {
    const list = answers[Math.min(asked++, answers.length - 1)];
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(list));
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
  const child = Object.assign(new EventEmitter(), {}) as unknown as ChildProcess;
  return new AgentProcess(new ProcessHandle(child), '/r', (server.address() as AddressInfo).port);
}

describe('AgentProcess', () => {
  it('waits for /plugins to satisfy a check, past lists that do not', async () => {
    const agent = await agentAnswering([[row('polite', 'registered')], [row('polite', 'disconnected')], []]);
    await expect(agent.waitForPlugins((list) => !list.some((p) => p.name === 'polite'))).resolves.toEqual([]);
  });

  it('resolves waitForPlugin with the row in the state, not an earlier one', async () => {
    const lost = row('phoenix', 'disconnected', 'connection lost');
    const retried = row('phoenix', 'disconnected', 'connection lost; reconnecting: GetInfo failed: UNAVAILABLE');
    const agent = await agentAnswering([[row('phoenix', 'registered')], [lost], [retried]]);
    await expect(agent.waitForPlugin('phoenix', 'disconnected')).resolves.toEqual(lost);
    await expect(agent.waitForPlugins((list) => list.some((p) => p.lastError?.includes('reconnecting') ?? false))).resolves.toEqual([retried]);
  });
});
