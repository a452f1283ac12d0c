import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPodFiles } from './read-pod-files.js';

describe('readPodFiles', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ker-pods-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Simulated pods look stored by an API server: its defaults and its Priority admission plugin.
  it.each<[string, string, number | undefined, string | undefined]>([
    ['no class', '', 0, 'PreemptLowerPriority'],
    ['a built-in class', '  priorityClassName: system-node-critical\n', 2_000_001_000, 'PreemptLowerPriority'],
    ['another class', '  priorityClassName: gold\n', undefined, undefined],
  ])('gives pods the API server priority (%s)', async (name, extra, priority, preemptionPolicy) => {
    const file = join(dir, `${name.replaceAll(' ', '-')}.yaml`);
    await writeFile(file, `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n${extra}  containers: [{name: c, image: busybox}]\n`);
    const [pod] = await readPodFiles([file]);
    expect(pod?.spec?.priority).toBe(priority);
    expect(pod?.spec?.preemptionPolicy).toBe(preemptionPolicy);
    expect(pod?.spec?.restartPolicy).toBe('Always');
    expect(pod?.metadata?.namespace).toBe('default');
  });
});
