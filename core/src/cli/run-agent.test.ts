import { promises as fs } from 'node:fs';
import { connect } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runAgent } from './run-agent.js';
import { captureOutput } from './capture-output.test-helpers.js';
import { freePort } from '../http/free-port.test-helpers.js';

let dir: string | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/**
 * True when something accepts connections on 127.0.0.1:port. Connecting, not binding: a bind
 * also fails when another process's client socket happens to use the port as its own.
 */
async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('kernelet --config FILE --dry-run', () => {
  it('prints the merged configuration as YAML and starts nothing', async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kernelet-dry-run-'));
    const port = await freePort();
    const root = path.join(dir, 'root');
    await fs.writeFile(path.join(dir, 'kubelet.yaml'), `apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: 42\nhealthzPort: ${port}\n`);
    await fs.mkdir(path.join(dir, 'conf.d'));
    await fs.writeFile(path.join(dir, 'conf.d', '10-pods.conf'), 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: 64\n');
    const output = captureOutput();

    const code = await runAgent([
      '--config', path.join(dir, 'kubelet.yaml'),
      '--config-dir', path.join(dir, 'conf.d'),
      '--root-dir', root,
      '--lock-file', path.join(dir, 'kubelet.lock'),
      '--plugins=cpu-manager',
      '--dry-run',
    ]);

    expect(code).toBe(0);
    const [kubelet, kernelet] = parseAllDocuments(output.stdout()).map((doc) => doc.toJS() as Record<string, unknown>);
    expect(kubelet).toMatchObject({ apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', maxPods: 64, healthzPort: port, eventRecordQPS: 50 });
    expect(kernelet).toMatchObject({ kind: 'KerneletConfiguration', plugins: [{ name: 'cpu-manager', failurePolicy: 'Fail' }], podHousekeepingPeriod: '2s' });
    // Nothing started: no root dir (so no plugin or host sockets), no lock taken, no listener.
    await expect(fs.stat(root)).rejects.toThrow(/ENOENT/);
    await expect(fs.stat(path.join(dir, 'kubelet.lock'))).rejects.toThrow(/ENOENT/);
    expect(await listening(port)).toBe(false);
  });

  it('exits 1 with every problem and prints no configuration when it is invalid', async () => {
    const output = captureOutput();
    const code = await runAgent(['--max-pods=-1', '--cgroup-driver=cgroupsv3', '--dry-run']);
    expect(code).toBe(1);
    expect(output.stdout()).toBe('');
    expect(output.stderr()).toMatch(/invalid configuration \(2 problems\); nothing was started/);
  });
});
