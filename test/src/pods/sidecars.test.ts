// Sidecars (init containers with restartPolicy Always) in static pods, against containerd and
// the embedded runtime: a sidecar starts before the app containers, feeds them, is restarted
// when it exits, does not keep a finished pod alive, and stops after the app containers.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Container, ContainerStatus, Pod } from '@kernelet/sdk/common';
import { IS_ROOT, PodAgent, TEST_IMAGE, podManifest, sleep, type RuntimeKind } from './pod-harness.js';
import { podSuite } from './pod-suite.js';

const initStatus = (pod: Pod, name: string): ContainerStatus | undefined => pod.status?.initContainerStatuses?.find((c) => c.name === name);
const appStatus = (pod: Pod): ContainerStatus | undefined => pod.status?.containerStatuses?.find((c) => c.name === 'main');

describe.each<RuntimeKind>(['containerd', 'embedded'])('sidecars on %s', (runtime) => {
  const suite = podSuite(runtime);

  /** A directory shared by the test and the pod, at the same path inside (the embedded runtime runs on the host root). */
  const sharedDir = (a: PodAgent): string => {
    const dir = join(a.root.path, 'shared');
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const sidecar = (name: string, dir: string, script: string, extra: Partial<Container> = {}): Container => ({
    name,
    image: TEST_IMAGE,
    imagePullPolicy: 'IfNotPresent',
    restartPolicy: 'Always',
    command: ['sh', '-c', script],
    volumeMounts: [{ name: 'shared', mountPath: dir }],
    ...extra,
  });
  const withShared = (pod: Pod, dir: string, sidecars: Container[]): Pod => {
    pod.spec!.volumes = [{ name: 'shared', hostPath: { path: dir, type: 'Directory' } }];
    pod.spec!.initContainers = sidecars;
    pod.spec!.containers[0]!.volumeMounts = [{ name: 'shared', mountPath: dir }];
    return pod;
  };
  const eventsOf = (dir: string): string[] => readFileSync(join(dir, 'events'), 'utf8').trim().split('\n');

  it.skipIf(!IS_ROOT)('starts the sidecar first, restarts it when it exits, and stops it when the app is done (restartPolicy Never)', async () => {
    const a = await suite.start();
    const dir = sharedDir(a);
    const events = join(dir, 'events');
    // First run: writes what the app reads, then exits 1 once the app has started. Second run: stays.
    const sidecarScript = [
      `trap "echo sidecar-term >> ${events}; exit 0" TERM`,
      `echo sidecar-start >> ${events}`,
      `echo hello-from-sidecar > ${dir}/data`,
      `if [ ! -f ${dir}/crashed ]; then touch ${dir}/crashed; while [ ! -f ${dir}/app-started ]; do sleep 0.1; done; echo sidecar-exit >> ${events}; exit 1; fi`,
      `touch ${dir}/second-run`,
      'sleep 3600 & wait',
    ].join('\n');
    // The app reads the sidecar's file, waits for the sidecar's second run, and succeeds.
    const appScript = [
      `echo app-start >> ${events}`,
      `echo "app-read:$(cat ${dir}/data)" >> ${events}`,
      `touch ${dir}/app-started`,
      `while [ ! -f ${dir}/second-run ]; do sleep 0.1; done`,
      `echo app-done >> ${events}`,
      'exit 0',
    ].join('\n');
    const pod = withShared(podManifest('job', { restartPolicy: 'Never', command: ['sh', '-c', appScript] }), dir, [sidecar('helper', dir, sidecarScript)]);
    await a.writeManifest('job.yaml', pod);

    const done = await a.waitForPod('job', (p) => p.status?.phase === 'Succeeded', 60_000, 'Succeeded');
    // Succeeded comes from the app: it exited 0; the sidecar was stopped, not left running.
    expect(appStatus(done)?.state?.terminated?.exitCode).toBe(0);
    const helper = initStatus(done, 'helper');
    expect(helper?.state?.terminated).toBeDefined();
    expect(helper?.restartCount).toBe(1);
    expect(helper?.ready).toBe(false);
    expect(done.status?.containerStatuses?.map((c) => c.name)).toEqual(['main']);
    await a.waitForRuntime(done.metadata?.uid ?? '', (s) => s.running === 0);
    expect(eventsOf(dir)).toEqual(['sidecar-start', 'app-start', 'app-read:hello-from-sidecar', 'sidecar-exit', 'sidecar-start', 'app-done', 'sidecar-term']);
  }, 90_000);

  it.skipIf(!IS_ROOT)('on manifest removal stops the app first, then the sidecars in reverse order, running their preStop hooks', async () => {
    const a = await suite.start();
    const dir = sharedDir(a);
    const events = join(dir, 'events');
    const sidecarScript = (name: string) => [`trap "echo ${name}-term >> ${events}; exit 0" TERM`, `echo ${name}-start >> ${events}`, 'sleep 3600 & wait'].join('\n');
    const preStop = (name: string) => ({ preStop: { exec: { command: ['sh', '-c', `echo ${name}-preStop >> ${events}`] } } });
    // The app takes a second to shut down: the sidecars must outlive it.
    const appScript = [`trap "echo app-term >> ${events}; sleep 1; echo app-exit >> ${events}; exit 0" TERM`, `echo app-start >> ${events}`, 'sleep 3600 & wait'].join('\n');
    const pod = withShared(podManifest('served', { terminationGracePeriodSeconds: 15, command: ['sh', '-c', appScript] }), dir, [
      sidecar('proxy', dir, sidecarScript('proxy'), { lifecycle: preStop('proxy') }),
      sidecar('logger', dir, sidecarScript('logger'), { lifecycle: preStop('logger') }),
    ]);
    await a.writeManifest('served.yaml', pod);
    const running = await a.waitForPod('served', (p) => appStatus(p)?.state?.running !== undefined, 60_000, 'app running');
    expect(running.status?.phase).toBe('Running');
    expect(['proxy', 'logger'].map((n) => initStatus(running, n)).map((s) => ({ started: s?.started, ready: s?.ready, running: s?.state?.running !== undefined }))).toEqual([
      { started: true, ready: true, running: true },
      { started: true, ready: true, running: true },
    ]);
    for (let i = 0; i < 50 && !eventsOf(dir).includes('app-start'); i++) await sleep(100);
    // Init containers start in order, the app after both.
    expect(eventsOf(dir)).toEqual(['proxy-start', 'logger-start', 'app-start']);

    await a.removeManifest('served.yaml');
    await a.waitForRuntime(running.metadata?.uid ?? '', (s) => s.running === 0, 30_000);
    const stopping = eventsOf(dir).slice(3);
    const at = (e: string) => stopping.indexOf(e);
    expect([...stopping].sort()).toEqual(['app-exit', 'app-term', 'logger-preStop', 'logger-term', 'proxy-preStop', 'proxy-term']);
    expect(at('app-exit')).toBeLessThan(at('logger-term'));
    expect(at('logger-term')).toBeLessThan(at('proxy-term'));
    expect(at('logger-preStop')).toBeLessThan(at('logger-term'));
    expect(at('proxy-preStop')).toBeLessThan(at('proxy-term'));
  }, 90_000);
});
