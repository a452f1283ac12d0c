// Lifecycle hooks and graceful termination: postStart runs after the container starts, preStop
// runs before the stop signal, and a container that ignores the signal is killed when the
// termination grace period is over.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IS_ROOT, podManifest, sleep, type RuntimeKind } from './pod-harness.js';
import { podSuite } from './pod-suite.js';

describe.each<RuntimeKind>(['containerd', 'embedded'])('hooks and grace periods on %s', (runtime) => {
  const suite = podSuite(runtime);

  it.skipIf(!IS_ROOT)('runs postStart after the start and preStop before the stop signal', async () => {
    const a = await suite.start();
    // The same path inside and outside: the embedded runtime runs this image on the host root.
    const dir = join(a.root.path, 'hooks');
    mkdirSync(dir, { recursive: true });
    const events = join(dir, 'events');
    const pod = podManifest('hooked', {
      volumes: [{ name: 'hooks', hostPath: { path: dir, type: 'Directory' } }],
      command: ['sh', '-c', `trap "echo term >> ${events}; exit 0" TERM; echo main >> ${events}; sleep 3600 & wait`],
    });
    const c = pod.spec!.containers[0]!;
    c.volumeMounts = [{ name: 'hooks', mountPath: dir }];
    c.lifecycle = {
      postStart: { exec: { command: ['sh', '-c', `echo postStart >> ${events}`] } },
      preStop: { exec: { command: ['sh', '-c', `echo preStop >> ${events}; sleep 1`] } },
    };
    await a.writeManifest('hooked.yaml', pod);
    const running = await a.waitForPod('hooked', (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined, 30_000, 'running');
    const read = () => readFileSync(events, 'utf8').trim().split('\n').sort();
    for (let i = 0; i < 50 && read().length < 2; i++) await sleep(100);
    expect(read()).toEqual(['main', 'postStart']);
    await a.removeManifest('hooked.yaml');
    await a.waitForRuntime(running.metadata?.uid ?? '', (s) => s.running === 0, 20_000);
    const lines = readFileSync(events, 'utf8').trim().split('\n');
    expect(lines.slice(-2)).toEqual(['preStop', 'term']);
  }, 60_000);

  it.skipIf(!IS_ROOT)('kills a container that ignores the stop signal when its grace period is over', async () => {
    const a = await suite.start();
    await a.writeManifest('stubborn.yaml', podManifest('stubborn', { terminationGracePeriodSeconds: 3, command: ['sh', '-c', 'trap "" TERM; while true; do sleep 0.2; done'] }));
    const pod = await a.waitForPod('stubborn', (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined, 30_000, 'running');
    const uid = pod.metadata?.uid ?? '';
    const started = Date.now();
    await a.removeManifest('stubborn.yaml');
    await a.waitForRuntime(uid, (s) => s.running === 0, 20_000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2900);
    expect(elapsed).toBeLessThan(8000);
  }, 60_000);
});
