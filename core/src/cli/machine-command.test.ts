import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeFakeSysfs } from '../machine/testing/fake-sysfs.js';
import { readTopologyFixture, topologyFixturePath } from '../machine/testing/topology-fixtures.js';
import { createMachineCommand } from './machine-command.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: unknown, _enc: BufferEncoding, done: () => void): void {
    this.text += String(chunk);
    done();
  }
}

async function machine(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await createMachineCommand({ stdout, stderr }).run(argv);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('kernelet machine', () => {
  it('prints a machine file, normalized, as one line of machine JSON', async () => {
    const path = topologyFixturePath('dual-socket-ht');
    const result = await machine(['--machine-info-file', path]);
    expect(result).toEqual({ code: 0, stdout: `${JSON.stringify(JSON.parse(readFileSync(path, 'utf8')))}\n`, stderr: '' });
  });

  it('echoes a machine file with per-socket core ids unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kernelet-machine-'));
    try {
      const file = join(dir, 'machine.json');
      const given = {
        cpus: [
          { id: 0, core: 0, socket: 0, numa: 0 },
          { id: 1, core: 0, socket: 1, numa: 1 },
          { id: 2, core: 5, socket: 0, numa: 0 },
          { id: 3, core: 5, socket: 1, numa: 1 },
        ],
        numaNodes: [
          { id: 0, memory: '4Gi' },
          { id: 1, memory: '4Gi' },
        ],
      };
      await writeFile(file, JSON.stringify(given, null, 2));
      const result = await machine(['--machine-info-file', file]);
      expect(result).toEqual({ code: 0, stdout: `${JSON.stringify(given)}\n`, stderr: '' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads sysfs under --sys-root', async () => {
    const root = await writeFakeSysfs(readTopologyFixture('8-numa'));
    try {
      const result = await machine([`--sys-root=${root}`]);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(readTopologyFixture('8-numa'));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it.each([
    [['--machine-info-file', '/nonexistent/machine.json'], 1, 'kernelet machine: /nonexistent/machine.json: cannot read'],
    [['--sys-root', '/nonexistent'], 1, 'kernelet machine: /nonexistent/sys/devices/system/cpu: cannot list CPUs'],
    [['--machine-info-file'], 2, 'kernelet machine: --machine-info-file needs a value'],
    [['--verbose'], 2, 'kernelet machine: unknown argument "--verbose"'],
  ])('kernelet machine %j fails with %i', async (argv, code, message) => {
    const result = await machine(argv);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });
});
