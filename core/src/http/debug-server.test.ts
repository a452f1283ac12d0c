import { promises as fs } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgentOptions } from '../config/load-config.js';
import { createLogger } from '../logging/logger.js';
import { DebugServer } from './debug-server.js';
import type { PluginStatus } from './plugin-status.js';
import { freePort } from './free-port.test-helpers.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../config/fixtures/${p}`, import.meta.url));

const servers: DebugServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/**
 * Starts a debug server on a port free a moment before; when another process (tests run side
 * by side) took that port in between, tries another.
 */
async function serveOnFreePort(args: (port: number) => string[]): Promise<number> {
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  const noPlugins = { list: () => [] } as unknown as PluginStatus;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const loaded = await loadAgentOptions(args(port), '/');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const server = new DebugServer(loaded.options, noPlugins, new Registry(), createLogger({ destination: quiet }));
    try {
      await server.start();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
      throw error;
    }
    servers.push(server);
    return port;
  }
}

describe('GET /configz on the debug listener', () => {
  it('serves the upstream v1beta1 defaults for an agent started with a minimal config file', async () => {
    const port = await serveOnFreePort((p) => ['--config', fixture('configz/minimal.yaml'), `--healthz-port=${p}`]);

    const response = await fetch(`http://127.0.0.1:${port}/configz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const want = JSON.parse(await fs.readFile(fixture('configz/upstream-v1beta1-defaults.json'), 'utf8')) as { kubeletconfig: Record<string, unknown> };
    // The listener needs a free port; it is the one field the test sets.
    want.kubeletconfig['healthzPort'] = port;
    expect(await response.json()).toEqual(want);
  });

  it('answers only GET and HEAD', async () => {
    const port = await serveOnFreePort((p) => [`--healthz-port=${p}`]);
    const response = await fetch(`http://127.0.0.1:${port}/configz`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});
