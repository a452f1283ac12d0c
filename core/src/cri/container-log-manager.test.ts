import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ContainerLogManager, planRotation } from './container-log-manager.js';
import type { RuntimeService } from './runtime-service.js';

describe('planRotation', () => {
  const files = ['0.log', '0.log.20260101-000001.gz', '0.log.20260101-000002.gz', '0.log.20260101-000003', '0.log.20260101-000004', '1.log.20260101-000009'];
  it.each([
    [5, { remove: ['0.log.20260101-000001.gz'], compress: ['0.log.20260101-000003'] }],
    [3, { remove: ['0.log.20260101-000003', '0.log.20260101-000002.gz', '0.log.20260101-000001.gz'], compress: [] }],
    [2, { remove: ['0.log.20260101-000004', '0.log.20260101-000003', '0.log.20260101-000002.gz', '0.log.20260101-000001.gz'], compress: [] }],
  ])('maxFiles %i', (maxFiles, plan) => {
    expect(planRotation(files, '0.log', maxFiles)).toEqual(plan);
  });
});

describe('ContainerLogManager', () => {
  it('rotates a log over the size, reopens it, and keeps at most maxFiles', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'klog-'));
    try {
      const reopened: string[] = [];
      const runtime = { reopenContainerLog: async (id: string) => void reopened.push(id) } as unknown as RuntimeService;
      const manager = new ContainerLogManager(runtime, dir, { maxSizeBytes: 10, maxFiles: 3 }, 1, () => undefined, pino({ level: 'silent' }));
      const path = join(dir, '0.log');
      await writeFile(join(dir, '0.log.20200101-000000'), 'old\n');
      await writeFile(join(dir, '0.log.20200101-000001'), 'older\n');
      await writeFile(path, 'short\n');
      expect(await manager.rotateIfNeeded('c1', path)).toBe(false);
      await writeFile(path, 'a line longer than ten bytes\n');
      expect(await manager.rotateIfNeeded('c1', path)).toBe(true);
      expect(reopened).toEqual(['c1']);
      const left = (await readdir(dir)).sort();
      expect(left).toHaveLength(2);
      expect(left[0]).toBe('0.log.20200101-000001');
      expect(left[1]).toMatch(/^0\.log\.\d{8}-\d{6}$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
