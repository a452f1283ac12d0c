import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentOptions } from '../config/agent-options.js';
import { loadAgentOptions } from '../config/load-config.js';
import { createLogger } from '../logging/logger.js';
import { DebugServer } from './debug-server.js';
import type { PluginStatus } from './plugin-status.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../config/fixtures/${p}`, import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

const servers: DebugServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function serve(options: AgentOptions): Promise<DebugServer> {
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const noPlugins = { list: () => [] } as unknown as PluginStatus;
  const server = new DebugServer(options, noPlugins, new Registry(), createLogger({ destination: quiet }));
  servers.push(server);
  await server.start();
  return server;
}

describe('GET /configz on the debug listener', () => {
  it('serves the upstream v1beta1 defaults for an agent started with a minimal config file', async () => {
    const port = await freePort();
    const loaded = await loadAgentOptions(['--config', fixture('configz/minimal.yaml'), `--healthz-port=${port}`], '/');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    await serve(loaded.options);

    const response = await fetch(`http://127.0.0.1:${port}/configz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const want = JSON.parse(await fs.readFile(fixture('configz/upstream-v1beta1-defaults.json'), 'utf8')) as { kubeletconfig: Record<string, unknown> };
    // The listener needs a free port; it is the one field the test sets.
    want.kubeletconfig['healthzPort'] = port;
    expect(await response.json()).toEqual(want);
  });

  it('answers only GET and HEAD', async () => {
    const port = await freePort();
    const loaded = await loadAgentOptions([`--healthz-port=${port}`], '/');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    await serve(loaded.options);
    const response = await fetch(`http://127.0.0.1:${port}/configz`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});
