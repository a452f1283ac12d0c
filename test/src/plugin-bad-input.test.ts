import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempRootDir, startAgent, startPlugin, type AgentProcess, type ProcessHandle, type TempRootDir } from '@kernelet/sdk/testing';
import { fixturePlugin } from './support/paths.js';

let root: TempRootDir;
let agent: AgentProcess;
const processes: ProcessHandle[] = [];

function track<T extends ProcessHandle>(p: T): T {
  processes.push(p);
  return p;
}

beforeEach(async () => {
  root = await makeTempRootDir();
  agent = track(await startAgent({ rootDir: root.path }));
});

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
  await root.remove();
});

const registry = () => join(root.path, 'plugins_registry');

async function expectAgentServing(): Promise<void> {
  expect(agent.running).toBe(true);
  expect(await fetch(agent.url('/healthz')).then((r) => r.text())).toBe('ok');
}

describe('registration refusals', () => {
  it.each([
    {
      name: 'an unknown plugin type',
      env: { PLUGIN_NAME: 'csi-thing', PLUGIN_TYPE: 'CSIPlugin' },
      reason: /^RegisterPlugin error -- no handler registered for plugin type: CSIPlugin at socket .*csi-thing\.sock$/,
    },
    {
      name: 'no supported version',
      env: { PLUGIN_NAME: 'future', PLUGIN_VERSIONS: 'v2.AdmitHandler,v9.Telepathy' },
      reason: /^RegisterPlugin error -- plugin validation failed with err: none of the supported versions \[v2\.AdmitHandler, v9\.Telepathy\] is served by this agent/,
    },
    {
      name: 'an invalid name',
      env: { PLUGIN_NAME: 'Bad_Name', PLUGIN_TYPE: 'KerneletPlugin' },
      reason: /^RegisterPlugin error -- plugin validation failed with err: invalid plugin name "Bad_Name"/,
    },
  ])('refuses $name with NotifyRegistrationStatus(false, reason), binds nothing and logs why', async ({ env, reason }) => {
    const plugin = track(startPlugin(fixturePlugin('raw-registration'), { rootDir: root.path, env }));
    const notify = await plugin.waitForLog('notify');
    expect(notify['pluginRegistered']).toBe(false);
    expect(notify['error']).toMatch(reason);

    const entry = await agent.waitForPlugin(env.PLUGIN_NAME, 'rejected');
    expect(entry.lastError).toBe(notify['error']);
    const logged = await agent.waitForLog('plugin registration refused', { plugin: env.PLUGIN_NAME });
    expect(logged['reason']).toBe(notify['error']);
    expect(plugin.logs('notify')).toHaveLength(1);
    await expectAgentServing();
  });

  it('refuses a plugin whose Configure fails, with the plugin\'s own message', async () => {
    const plugin = track(
      startPlugin(fixturePlugin('sdk-plugin'), {
        rootDir: root.path,
        env: { PLUGIN_NAME: 'picky', CONFIGURE_ERROR: 'state file was written by policy none; delete it to switch' },
      }),
    );
    const entry = await agent.waitForPlugin('picky', 'rejected');
    expect(entry.lastError).toBe('RegisterPlugin error -- plugin registration failed with err: Configure failed: state file was written by policy none; delete it to switch');
    await plugin.waitForLog('the agent refused the registration', { reason: entry.lastError });
  });

  it('keeps a refused configuration on the node condition while the agent asks the plugin again', async () => {
    const refusal = 'reserved CPUs changed; delete cpu_manager_state to switch';
    const plugin = track(
      startPlugin(fixturePlugin('sdk-plugin'), {
        rootDir: root.path,
        env: { PLUGIN_NAME: 'picky', CONFIGURE_ERROR: refusal, CONFIGURE_SLEEP_MS: '400' },
      }),
    );
    await agent.waitForPlugin('picky', 'rejected');
    const condition = async () =>
      ((await (await fetch(agent.url('/node'))).json()) as { status?: { conditions?: { type: string; status: string; message?: string }[] } }).status?.conditions?.find(
        (c) => c.type === 'PluginRegistrationRefused',
      );
    expect(await condition()).toMatchObject({ status: 'True', message: `picky: Configure failed: ${refusal}` });
    // The agent retries the refused plugin; while that Configure is under way the refusal still stands.
    await plugin.waitForLine(() => plugin.logs('configure started').length >= 2);
    await agent.waitForPlugin('picky', 'registering');
    expect(await condition()).toMatchObject({ status: 'True', message: `picky: Configure failed: ${refusal}` });
  });

  it.each(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'INTERNAL'])(
    'retries a plugin whose Configure fails with %s: a failed registration, not a refused configuration',
    async (code) => {
      const plugin = track(startPlugin(fixturePlugin('raw-registration'), { rootDir: root.path, env: { PLUGIN_NAME: 'flaky', CONFIGURE_CODE: code } }));
      // A failure that names the plugin came after its GetInfo answered: a first dial refused
      // between the plugin's bind and listen fails too, but nameless and with GetInfo's error.
      const logged = await agent.waitForLog('plugin registration failed', { plugin: 'flaky' });
      expect(logged['reason']).toBe(`Configure failed: ${code}: configure fails with ${code}`);
      expect(logged['retryInMs']).toBeGreaterThan(0);
      const entry = await agent.waitForPlugin('flaky', 'failed');
      expect(entry.lastError).toBe(`Configure failed: ${code}: configure fails with ${code}`);
      // Retried with backoff, and never told it was refused.
      await plugin.waitForLine((l) => plugin.logs('configure').length >= 2 && l.json?.['msg'] === 'configure');
      expect(plugin.logs('notify')).toEqual([]);
      expect(agent.logs('plugin registration refused')).toEqual([]);
    },
  );

  it('refuses a second plugin with a name already registered from another socket', async () => {
    track(startPlugin(fixturePlugin('sdk-plugin'), { rootDir: root.path, env: { PLUGIN_NAME: 'twin' } }));
    await agent.waitForPlugin('twin', 'registered');
    const impostor = track(
      startPlugin(fixturePlugin('raw-registration'), {
        rootDir: root.path,
        env: { PLUGIN_NAME: 'twin', SOCKET_PATH: join(registry(), 'twin-2.sock') },
      }),
    );
    const notify = await impostor.waitForLog('notify');
    expect(notify).toMatchObject({
      pluginRegistered: false,
      error: `RegisterPlugin error -- plugin validation failed with err: a plugin named twin is already registered from socket ${join(registry(), 'twin.sock')}`,
    });
    // The refusal is retried after a backoff (the name may be free by then): between two
    // attempts the impostor's row is rejected, during one it is registering.
    const plugins = await agent.waitForPlugins((list) => list.some((p) => p.socket === join(registry(), 'twin-2.sock') && p.state === 'rejected'), 10_000, 'twin-2.sock rejected');
    expect(plugins.filter((p) => p.name === 'twin').map((p) => p.state).sort()).toEqual(['registered', 'rejected']);
    await expectAgentServing();
  });

  it('tells only one of two sockets registering the same name at once that it is registered', async () => {
    // Both pass the name check before either is configured; the slow Configure makes them race to bind.
    const twins = ['twin-a', 'twin-b'].map((socket) =>
      track(
        startPlugin(fixturePlugin('raw-registration'), {
          rootDir: root.path,
          env: { PLUGIN_NAME: 'twin', SOCKET_PATH: join(registry(), `${socket}.sock`), CONFIGURE_SLEEP_MS: '300' },
        }),
      ),
    );
    await Promise.all(twins.map((twin) => twin.waitForLog('configure')));
    const plugins = await agent.waitForPlugins(
      (list) => list.filter((p) => p.name === 'twin').map((p) => p.state).sort().join() === 'registered,rejected',
      10_000,
      'one twin registered, the other rejected',
    );
    const winner = plugins.find((p) => p.name === 'twin' && p.state === 'registered');
    for (const [i, twin] of twins.entries()) {
      const told = (await twin.waitForLog('notify'), twin.logs('notify'));
      if (winner?.socket === join(registry(), `twin-${'ab'[i]}.sock`)) {
        expect(told.map((n) => n['pluginRegistered'])).toEqual([true]);
      } else {
        expect(told.map((n) => n['pluginRegistered'])).not.toContain(true);
        expect(told[0]?.['error']).toMatch(/^RegisterPlugin error -- plugin (validation|registration) failed with err: a plugin named twin is already registered from socket /);
      }
    }
    await expectAgentServing();
  });
});

describe('garbage in the registry directory', () => {
  it('marks a file that is not a socket invalid and keeps serving', async () => {
    await writeFile(join(registry(), 'notes.txt'), 'not a socket');
    const entry = await agent.waitForPlugin(join(registry(), 'notes.txt'), 'invalid');
    expect(entry).toMatchObject({ name: 'notes.txt', socket: join(registry(), 'notes.txt'), lastError: 'not a unix socket' });
    await agent.waitForLog('ignoring a file in the plugin registry that is not a unix socket');
    await expectAgentServing();
  });

  it('registers sockets in subdirectories and through symlinks, and ignores dot names, as upstream does', async () => {
    await writeFile(join(registry(), '.hidden.sock'), '');
    const elsewhere = join(root.path, 'elsewhere', 'linked.sock');
    const started = [
      { PLUGIN_NAME: 'nested', SOCKET_PATH: join(registry(), 'vendor', 'deep', 'nested.sock') },
      { PLUGIN_NAME: 'linked', SOCKET_PATH: elsewhere },
      { PLUGIN_NAME: 'hidden', SOCKET_PATH: join(registry(), '.private', 'hidden.sock') },
    ].map((env) => track(startPlugin(fixturePlugin('raw-registration'), { rootDir: root.path, env })));
    await Promise.all(started.map((p) => p.waitForLog('serving')));
    await symlink(elsewhere, join(registry(), 'linked.sock'));

    expect((await agent.waitForPlugin('nested', 'registered')).socket).toBe(join(registry(), 'vendor', 'deep', 'nested.sock'));
    expect((await agent.waitForPlugin('linked', 'registered')).socket).toBe(join(registry(), 'linked.sock'));
    // Past a periodic rescan: the dot names were seen and left alone.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await agent.plugins()).map((p) => p.name).sort()).toEqual(['linked', 'nested']);
  });

  it('survives a socket that answers with garbage: failed, retried, agent up', async () => {
    const socket = join(registry(), 'garbage.sock');
    track(startPlugin(fixturePlugin('garbage-socket'), { rootDir: root.path, env: { SOCKET_PATH: socket } }));
    const entry = await agent.waitForPlugin(socket, 'failed', 10_000);
    expect(entry).toMatchObject({ name: 'garbage.sock', socket });
    expect(entry.lastError).toMatch(/^GetInfo failed: /);
    const failure = await agent.waitForLog('plugin registration failed', { socket });
    expect(failure['retryInMs']).toBeGreaterThan(0);
    await expectAgentServing();
  });

  it('shows a plugin\'s malformed replies in /plugins, and keeps it registered', async () => {
    await agent.kill('SIGTERM');
    agent = track(await startAgent({ rootDir: root.path, args: ['--node-status-update-frequency', '200ms'] }));
    track(
      startPlugin(fixturePlugin('raw-registration'), {
        rootDir: root.path,
        env: { PLUGIN_NAME: 'mangled', PLUGIN_VERSIONS: 'v1alpha1.StatusFunc', MALFORMED_STATUS: '1' },
      }),
    );
    await agent.waitForPlugin('mangled', 'registered');
    // The agent asks every StatusFunc plugin at each node status update.
    const deadline = Date.now() + 10_000;
    let entry = await agent.waitForPlugin('mangled', 'registered');
    while (entry.callFailures < 2) {
      if (Date.now() > deadline) throw new Error(`no call failures shown: ${JSON.stringify(entry)}`);
      await new Promise((r) => setTimeout(r, 50));
      entry = await agent.waitForPlugin('mangled', 'registered');
    }
    expect(entry.lastError).toMatch(/^StatusFunc\.GetNodeStatus failed: INTERNAL: /);
    expect(Date.parse(entry.lastErrorTime ?? '')).toBeGreaterThan(Date.parse(entry.registeredSince ?? ''));
    await agent.waitForLog('plugin call failed', { plugin: 'mangled', method: 'GetNodeStatus', code: 'INTERNAL' });
    await expectAgentServing();
  });

  it.each(['raw-registration', 'sdk-plugin'])('registers a %s plugin whose socket path is too long for a unix address, and says so', async (fixture) => {
    const socket = join(registry(), 'vendor', `${'long-'.repeat(20)}path.sock`);
    expect(Buffer.byteLength(socket)).toBeGreaterThan(108);
    // The plugin must bind it without the temp directory (which may be another filesystem).
    const plugin = track(startPlugin(fixturePlugin(fixture), { rootDir: root.path, env: { PLUGIN_NAME: 'longpath', SOCKET_PATH: socket, TMPDIR: join(root.path, 'no-such-tmp') } }));
    const entry = await agent.waitForPlugin('longpath', 'registered');
    expect(entry).toMatchObject({ socket, endpoint: socket });
    const warning = await agent.waitForLog('plugin socket path is longer than a unix socket address allows; connecting through a short link');
    expect(warning['socket']).toBe(socket);
    // Registered and told so over the long path.
    if (fixture === 'sdk-plugin') await plugin.waitForLog('registered with the agent');
    else expect((await plugin.waitForLog('notify'))['pluginRegistered']).toBe(true);
  });
});
