// Container logs rotate by containerLogMaxSize and containerLogMaxFiles; dead containers are
// collected, keeping the last of each container for its status.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IS_ROOT, NODE_NAME, podManifest, sleep, type RuntimeKind } from './pod-harness.js';
import { podSuite } from './pod-suite.js';

describe.each<RuntimeKind>(['containerd', 'embedded'])('container logs and garbage on %s', (runtime) => {
  const suite = podSuite(runtime);

  it.skipIf(!IS_ROOT)('rotates a growing log, keeping at most containerLogMaxFiles files', async () => {
    const a = await suite.start({ config: { containerLogMaxSize: '2Ki', containerLogMaxFiles: 3, containerLogMonitorInterval: '3s' } });
    const line = 'x'.repeat(100);
    await a.writeManifest('chatty.yaml', podManifest('chatty', { command: ['sh', '-c', `trap "exit 0" TERM; while true; do echo ${line}; sleep 0.02; done`] }));
    const pod = await a.waitForPod('chatty', (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined, 30_000, 'running');
    const dir = join(a.root.path, 'logs', `default_chatty-${NODE_NAME}_${pod.metadata?.uid}`, 'main');
    let files: string[] = [];
    const deadline = Date.now() + 25_000;
    while (Date.now() < deadline) {
      files = readdirSync(dir).sort();
      if (files.filter((f) => f.startsWith('0.log.')).length >= 2) break;
      await sleep(250);
    }
    expect(files.filter((f) => /^0\.log\.\d{8}-\d{6}(\.gz)?$/.test(f)).length).toBeGreaterThanOrEqual(2);
    expect(files.length).toBeLessThanOrEqual(3);
    // The runtime writes to the new file after each rotation (which may be under way right now).
    const size = async () => {
      for (let i = 0; i < 40; i++) {
        try {
          return statSync(join(dir, '0.log')).size;
        } catch {
          await sleep(50);
        }
      }
      throw new Error('no live log file');
    };
    const live = await size();
    // It writes a line every 20 ms; on a loaded machine the runtime may copy them later.
    let now = live;
    for (let i = 0; i < 50 && now === live; i++) {
      await sleep(100);
      now = await size();
    }
    expect(now).not.toBe(live);
  }, 90_000);

  it.skipIf(!IS_ROOT)('keeps only the last dead container of a crash-looping container', async () => {
    const a = await suite.start();
    await a.writeManifest('crashy.yaml', podManifest('crashy', { command: ['sh', '-c', 'exit 1'] }));
    const pod = await a.waitForPod('crashy', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 3, 40_000, 'restarted 3 times');
    // Each exit leaves a second dead container until the agent sees the death and collects the
    // older one: a few seconds on a loaded machine, far less than the 1 min periodic GC.
    const uid = pod.metadata?.uid ?? '';
    const collected = (list: Awaited<ReturnType<typeof a.cri.containers>>) => list.filter((c) => c.state === 2).length <= 1 && list.length <= 2;
    let containers = await a.cri.containers({ 'io.kubernetes.pod.uid': uid });
    for (let i = 0; i < 50 && !collected(containers); i++) {
      await sleep(100);
      containers = await a.cri.containers({ 'io.kubernetes.pod.uid': uid });
    }
    const exited = containers.filter((c) => c.state === 2);
    expect(exited.length).toBeLessThanOrEqual(1);
    expect(containers.length).toBeLessThanOrEqual(2);
    const status = (await a.pod('crashy'))?.status?.containerStatuses?.[0];
    expect(status?.lastState?.terminated?.exitCode).toBe(1);
  }, 90_000);
});
