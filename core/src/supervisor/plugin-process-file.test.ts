import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPluginHostFor, pluginProcessFilePath, readPluginProcessFile, writePluginProcessFile } from './plugin-process-file.js';

const HOST = '/usr/lib/node_modules/@kernelet/sdk/dist/plugin-host/main.js';
const cmdline = (...args: string[]) => `${args.join('\0')}\0`;

describe('isPluginHostFor', () => {
  it.each([
    ['a plugin host on this root dir', cmdline('/usr/bin/node', '--max-opt=1', HOST, '--root-dir', '/var/lib/kubelet', '--plugin', 'cpu-manager'), true],
    ['the --root-dir=DIR form', cmdline('/usr/bin/node', HOST, '--root-dir=/var/lib/kubelet', '--plugin', 'cpu-manager'), true],
    ['a plugin host on another root dir', cmdline('/usr/bin/node', HOST, '--root-dir', '/var/lib/other', '--plugin', 'cpu-manager'), false],
    ['another program that reused the pid', cmdline('/usr/bin/sleep', '1000'), false],
    ['a node program naming the root dir', cmdline('/usr/bin/node', '/opt/tool/main.js', '--root-dir', '/var/lib/kubelet'), false],
    ['an exited process (empty cmdline)', '', false],
  ])('%s → %s', (_name, line, expected) => expect(isPluginHostFor(line, '/var/lib/kubelet')).toBe(expected));
});

describe('the plugin process file', () => {
  it('round-trips pids, creating its directory, and reads a missing or garbled file as no pids', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ppf-'));
    try {
      const path = pluginProcessFilePath(root);
      expect(path).toBe(join(root, 'kernelet', 'plugin-processes.pid'));
      expect(await readPluginProcessFile(path)).toEqual([]);
      await writePluginProcessFile(path, [4242, 4343]);
      expect(await readPluginProcessFile(path)).toEqual([4242, 4343]);
      await writeFile(path, 'garbage\n-1\n77\n\n');
      expect(await readPluginProcessFile(path)).toEqual([77]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
