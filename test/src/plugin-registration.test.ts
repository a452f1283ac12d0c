import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempRootDir, startAgent, startPlugin, type AgentProcess, type ProcessHandle, type TempRootDir } from '@kernelet/sdk/testing';
import { fixturePlugin } from './support/paths.js';

let root: TempRootDir;
const processes: ProcessHandle[] = [];

function track<T extends ProcessHandle>(p: T): T {
  processes.push(p);
  return p;
}

beforeEach(async () => {
  root = await makeTempRootDir();
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
  await root.remove();
});

function socketOf(name: string): string {
  return join(root.path, 'plugins_registry', `${name}.sock`);
}

describe('plugin registration over plugins_registry', () => {
  it('registers a plugin started after the agent within 1 s and shows it in GET /plugins', async () => {
    const agent = track(await startAgent({ rootDir: root.path }));
    const plugin = track(startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'late' } }));
    await plugin.waitForLog('plugin serving');
    const socketSeen = Date.now();
    const entry = await agent.waitForPlugin('late', 'registered', 1000);
    expect(Date.now() - socketSeen).toBeLessThan(1000);
    expect(entry).toMatchObject({
      name: 'late',
      type: 'KerneletPlugin',
      services: ['v1alpha1.AdmitHandler'],
      endpoint: socketOf('late'),
      socket: socketOf('late'),
      state: 'registered',
      lastError: null,
    });
    expect(Date.parse(entry.registeredSince ?? '')).toBeGreaterThan(0);
    await plugin.waitForLog('registered with the agent');
  });

  it('finds a plugin that was already serving when the agent started', async () => {
    const plugin = track(startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'early' } }));
    await plugin.waitForLog('plugin serving');
    const agent = track(await startAgent({ rootDir: root.path }));
    await agent.waitForPlugin('early', 'registered');
    await agent.waitForLog('plugin registered', { plugin: 'early' });
  });

  it('unbinds a SIGKILLed plugin, stays up, and registers the restarted plugin again', async () => {
    const agent = track(await startAgent({ rootDir: root.path }));
    const first = track(startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'phoenix' } }));
    await agent.waitForPlugin('phoenix', 'registered');

    await first.kill('SIGKILL');
    const lost = await agent.waitForPlugin('phoenix', 'disconnected', 5000);
    expect(lost.lastError).toMatch(/connection lost/);
    await agent.waitForLog('plugin unbound', { plugin: 'phoenix' });
    expect(agent.running).toBe(true);
    expect(await fetch(agent.url('/healthz')).then((r) => r.text())).toBe('ok');
    // Reconnect attempts against the dead socket keep it disconnected, with the cause still in view.
    // Only a failure after the unbind counts: the plugin's first dial may already have failed on the
    // bind-before-listen race.
    let unbound = false;
    await agent.waitForLine((line) => {
      if (line.json?.['msg'] === 'plugin unbound') unbound = true;
      return unbound && line.json?.['msg'] === 'plugin registration failed' && line.json['plugin'] === 'phoenix';
    }, 5000);
    const retried = await agent.waitForPlugin('phoenix', 'disconnected', 5000);
    expect(retried.lastError).toMatch(/^connection lost: .*; reconnecting: GetInfo failed: /);

    track(startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'phoenix' } }));
    const again = await agent.waitForPlugin('phoenix', 'registered');
    expect(again.lastError).toBeNull();
  });

  it('unbinds a plugin that stops gracefully: it removes its socket', async () => {
    const agent = track(await startAgent({ rootDir: root.path }));
    const plugin = track(startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'polite' } }));
    await agent.waitForPlugin('polite', 'registered');
    expect((await plugin.kill('SIGTERM')).code).toBe(0);
    await expect(access(socketOf('polite'))).rejects.toThrow();
    await agent.waitForLog('plugin unbound', { plugin: 'polite', reason: 'socket removed' });
    // The unbind may come from the dropped connection, before the watcher sees the socket gone and drops the row.
    await agent.waitForPlugins((list) => !list.some((p) => p.name === 'polite'), 5000, 'no polite row');
  });

  it('is registered again by a restarted agent, with no action from the plugin', async () => {
    const first = track(await startAgent({ rootDir: root.path }));
    const plugin = track(startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'steady' } }));
    await first.waitForPlugin('steady', 'registered');
    // The plugin's own line may still be on its way when the agent already shows it registered.
    await plugin.waitForLog('registered with the agent');
    const beforeRestart = plugin.mark();
    await first.kill('SIGTERM');
    const second = track(await startAgent({ rootDir: root.path }));
    await second.waitForPlugin('steady', 'registered');
    await plugin.waitForLogAfter(beforeRestart, 'registered with the agent');
    expect(plugin.logs('registered with the agent')).toHaveLength(2);
    expect(plugin.running).toBe(true);
  });

  it('recreates its socket when it is deleted while the plugin runs', async () => {
    const agent: AgentProcess = track(await startAgent({ rootDir: root.path }));
    const plugin = track(startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'stubborn' } }));
    const first = await agent.waitForPlugin('stubborn', 'registered');
    const { rm } = await import('node:fs/promises');
    await rm(socketOf('stubborn'));
    await plugin.waitForLog('registration socket was removed; creating it again', {}, 5000);
    await agent.waitForLog('plugin unbound', { plugin: 'stubborn' });
    // Registered again over the new socket: a later registration than the one before the removal.
    await agent.waitForPlugins((list) => list.some((p) => p.name === 'stubborn' && p.state === 'registered' && p.registeredSince !== first.registeredSince), 10_000, 'stubborn registered again');
  });
});
