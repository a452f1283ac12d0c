import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_UNIX_PATH } from '@kernelet/proto/transport';
import { admit, definePlugin } from './define-plugin.js';
import { createPluginLogger } from './logger.js';
import { servePlugin, type ServedPlugin } from './serve-plugin.js';
import { registerWithFakeAgent } from './testing/fake-agent.js';
import { withoutTmpdir } from './without-tmpdir.test-helpers.js';

let base: string;
const cleanups: (() => unknown)[] = [];


beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'serve-'));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(base, { recursive: true, force: true });
});

describe('servePlugin', () => {
  it('binds a registration socket path over 108 bytes in the registry directory, not the temp directory, and serves on it', async () => {
    const socketPath = join(base, 'plugins_registry', `${'long-'.repeat(22)}path.sock`);
    expect(Buffer.byteLength(socketPath)).toBeGreaterThan(MAX_UNIX_PATH + 1);
    const definition = definePlugin({ name: 'long-path', admitHandler: { admit: () => admit() } });
    const served: ServedPlugin = await withoutTmpdir(base, () =>
      servePlugin(definition, { socketPath, handleSignals: false, logger: createPluginLogger('long-path', 'silent') }),
    );
    cleanups.push(() => served.close());

    expect((await stat(socketPath)).isSocket()).toBe(true);
    expect(await readdir(dirname(socketPath))).toEqual([`${'long-'.repeat(22)}path.sock`]);
    const session = await registerWithFakeAgent(socketPath);
    cleanups.push(() => session.close());
    expect(session.info).toMatchObject({ name: 'long-path', endpoint: socketPath });
    expect(await session.admit({ metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [] } })).toEqual({ admit: true });
  });
});
