import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempRootDir, startAgent, type AgentProcess, type TempRootDir } from '@kernelet/sdk/testing';
import { fixturePlugin } from './support/paths.js';

let root: TempRootDir;
let agent: AgentProcess | undefined;
/** Plugin hosts a test left stopped (SIGSTOP): killed after it, whatever happened. */
const frozen: number[] = [];

beforeEach(async () => {
  root = await makeTempRootDir();
});

afterEach(async () => {
  await agent?.kill('SIGTERM');
  agent = undefined;
  for (const pid of frozen.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  await root.remove();
});

const TRIVIAL = ['trivial-a', 'trivial-b', 'trivial-c', 'trivial-d'];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Running (not zombie) kernelet-plugin-host processes serving this root dir, from /proc. */
async function pluginHosts(rootDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const [cmdline, stat] = await Promise.all([readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => ''), readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')]);
    const args = cmdline.split('\0');
    const zombie = stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
    if (!zombie && args.some((a) => a.endsWith('/plugin-host/main.js')) && args.includes(rootDir)) pids.push(Number(entry));
  }
  return pids.sort((a, b) => a - b);
}

async function waitForExit(pids: readonly number[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = (await pluginHosts(root.path)).filter((pid) => pids.includes(pid));
    if (running.length === 0) return;
    if (Date.now() > deadline) throw new Error(`plugin hosts ${running.join(', ')} still running ${timeoutMs}ms after their agent died`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the plugin supervisor', () => {
  it('runs the selected plugins in one plugin-host process, each on its own socket', async () => {
    agent = await startAgent({ rootDir: root.path, args: ['--plugins', fixturePlugin('trivial-plugins')] });
    const entries = await Promise.all(TRIVIAL.map((name) => agent!.waitForPlugin(name, 'registered')));
    expect(entries.map((e) => e.socket)).toEqual(TRIVIAL.map((name) => join(root.path, 'plugins_registry', `${name}.sock`)));
    const pids = new Set(entries.map((e) => e.process?.pid));
    expect(pids.size).toBe(1);
    expect([...pids][0]).toBeGreaterThan(0);
  });

  it('runs one process per plugin with --plugin-isolation process', async () => {
    const spec = `${fixturePlugin('trivial-plugins')},@kernelet/example-label-admit`;
    agent = await startAgent({ rootDir: root.path, args: ['--plugins', spec, '--plugin-isolation', 'process'] });
    // Each plugin registers on its own: trivial-d may still be registering when trivial-a is registered.
    await Promise.all([...TRIVIAL, 'label-admit'].map((name) => agent!.waitForPlugin(name, 'registered')));
    const plugins = await agent.plugins();
    const pidOf = (name: string) => plugins.find((p) => p.name === name)?.process?.pid;
    expect(pidOf('trivial-a')).toBe(pidOf('trivial-d'));
    expect(pidOf('label-admit')).toBeGreaterThan(0);
    expect(pidOf('label-admit')).not.toBe(pidOf('trivial-a'));
    expect(plugins.some((p) => p.state === 'pending')).toBe(false);
  });

  it('restarts a crashed plugin host with backoff, says so, and the plugins register again', async () => {
    agent = await startAgent({ rootDir: root.path, args: ['--plugins', fixturePlugin('trivial-plugins')] });
    const before = await agent.waitForPlugin('trivial-a', 'registered');
    const pid = before.process?.pid as number;
    process.kill(pid, 'SIGKILL');

    const restart = await agent.waitForLog('plugin process exited; restarting it after backoff', { signal: 'SIGKILL' });
    expect(restart).toMatchObject({ pid, restartInMs: 1000, restarts: 1 });
    const deadline = Date.now() + 10_000;
    let after = before;
    while (after.process?.pid === pid || after.state !== 'registered') {
      if (Date.now() > deadline) throw new Error(`trivial-a not registered from a new process: ${JSON.stringify(after)}`);
      await new Promise((r) => setTimeout(r, 50));
      after = (await agent.plugins()).find((p) => p.name === 'trivial-a') ?? before;
    }
    expect(after.process?.restarts).toBe(1);
    expect(alive(after.process?.pid as number)).toBe(true);
  });

  it('backs off exponentially from a plugin that cannot start, and shows it pending', async () => {
    agent = await startAgent({ rootDir: root.path, args: ['--plugins', '/nonexistent/plugin.js'] });
    const first = await agent.waitForLog('plugin process exited; restarting it after backoff', { restarts: 1 });
    const second = await agent.waitForLog('plugin process exited; restarting it after backoff', { restarts: 2 });
    expect([first['restartInMs'], second['restartInMs']]).toEqual([1000, 2000]);
    const pending = (await agent.plugins()).find((p) => p.name === '/nonexistent/plugin.js');
    expect(agent.logs('plugin host cannot start')[0]?.['err']).toMatch(/cannot load plugin module file:\/\/\/nonexistent\/plugin\.js/);
    expect(pending).toMatchObject({ state: 'pending', lastError: 'exited with code 2' });
    expect(agent.running).toBe(true);
  });

  it('stops its plugins when the agent stops, leaving no process or socket behind', async () => {
    agent = await startAgent({ rootDir: root.path, args: ['--plugins', fixturePlugin('trivial-plugins')] });
    const entry = await agent.waitForPlugin('trivial-a', 'registered');
    const pid = entry.process?.pid as number;
    expect((await agent.kill('SIGTERM')).code).toBe(0);
    agent = undefined;
    expect(alive(pid)).toBe(false);
    for (const name of TRIVIAL) await expect(access(join(root.path, 'plugins_registry', `${name}.sock`))).rejects.toThrow();
  });

  it.each([
    { isolation: 'shared', spec: fixturePlugin('trivial-plugins'), names: TRIVIAL, hosts: 1 },
    { isolation: 'process', spec: `${fixturePlugin('trivial-plugins')},@kernelet/example-label-admit`, names: [...TRIVIAL, 'label-admit'], hosts: 2 },
  ])(
    'takes its plugin processes down when the agent is SIGKILLed ($isolation), so a restarted agent runs one set',
    async ({ isolation, spec, names, hosts }) => {
      const args = ['--plugins', spec, '--plugin-isolation', isolation];
      agent = await startAgent({ rootDir: root.path, args });
      await Promise.all(names.map((name) => agent!.waitForPlugin(name, 'registered')));
      const before = await pluginHosts(root.path);
      expect(before).toHaveLength(hosts);

      await agent.kill('SIGKILL');
      agent = undefined;
      await waitForExit(before);
      for (const name of names) await expect(access(join(root.path, 'plugins_registry', `${name}.sock`))).rejects.toThrow();

      agent = await startAgent({ rootDir: root.path, args });
      const entries = await Promise.all(names.map((name) => agent!.waitForPlugin(name, 'registered')));
      const after = await pluginHosts(root.path);
      expect(after).toHaveLength(hosts);
      expect(after.filter((pid) => before.includes(pid))).toEqual([]);
      expect([...new Set(entries.map((e) => e.process?.pid))].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(after);
    },
  );

  it('stops a plugin host a killed agent left running (recorded in its process file) before starting its own', async () => {
    const args = ['--plugins', fixturePlugin('trivial-plugins')];
    agent = await startAgent({ rootDir: root.path, args });
    const stale = (await agent.waitForPlugin('trivial-a', 'registered')).process?.pid as number;
    // A stopped host cannot act on its agent's death: only the next agent can end it.
    process.kill(stale, 'SIGSTOP');
    frozen.push(stale);
    await agent.kill('SIGKILL');
    expect(await pluginHosts(root.path)).toEqual([stale]);

    agent = await startAgent({ rootDir: root.path, args });
    await agent.waitForLog('stopping a plugin process a previous agent left running', { pid: stale });
    await Promise.all(TRIVIAL.map((name) => agent!.waitForPlugin(name, 'registered')));
    const fresh = await pluginHosts(root.path);
    expect(fresh).toHaveLength(1);
    expect(fresh).not.toContain(stale);
  });
});
