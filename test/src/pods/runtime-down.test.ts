// Killing the container runtime under a running agent: the node turns not ready, pod syncs
// back off, and when the runtime is back everything recovers without restarting the agent;
// running containers are never restarted.
import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '@kernelet/sdk/common';
import { IS_ROOT, PodAgent, containerdPid, podManifest, setupContainerd, sleep, type RuntimeKind } from './pod-harness.js';
import { podSuite } from './pod-suite.js';

const ready = (node: Node) => node.status?.conditions?.find((c) => c.type === 'Ready');
const mainStatus = (pod: Pod | undefined) => pod?.status?.containerStatuses?.find((c) => c.name === 'main');

async function waitReady(agent: PodAgent, want: 'True' | 'False', timeoutMs: number): Promise<Node> {
  const deadline = Date.now() + timeoutMs;
  let node: Node | undefined;
  while (Date.now() < deadline) {
    node = await agent.node().catch(() => undefined);
    if (node && ready(node)?.status === want) return node;
    await sleep(50);
  }
  throw new Error(`node not Ready=${want} within ${timeoutMs}ms: ${JSON.stringify(node ? ready(node) : null)}`);
}

describe.each<RuntimeKind>(['containerd', 'embedded'])('a killed %s runtime', (runtime) => {
  const suite = podSuite(runtime, {
    afterTest: async () => {
      if (runtime === 'containerd') await setupContainerd();
    },
  });

  it.skipIf(!IS_ROOT)('makes the node not ready; pod syncs back off; the runtime coming back recovers all without an agent restart', async () => {
    const a = await suite.start();
    await a.writeManifest('steady.yaml', podManifest('steady'));
    const before = await a.waitForPod('steady', (p) => mainStatus(p)?.state?.running !== undefined, 30_000, 'running');
    await waitReady(a, 'True', 10_000);

    const pid = runtime === 'containerd' ? containerdPid() : a.embeddedRuntimePid();
    process.kill(pid, 'SIGKILL');
    const down = await waitReady(a, 'False', 15_000);
    expect(ready(down)?.message).toMatch(/container runtime is down/);

    // A pod that arrives now cannot start: its worker retries with a growing delay.
    await a.writeManifest('during.yaml', podManifest('during'));
    if (runtime === 'containerd') {
      const retries = async () => a.process.logs('pod sync failed; retrying after backoff').filter((l) => String(l['pod']).startsWith('default/during'));
      const deadline = Date.now() + 15_000;
      while ((await retries()).length < 3 && Date.now() < deadline) await sleep(100);
      const delays = (await retries()).map((l) => Number(l['retryInMs']));
      expect(delays.length).toBeGreaterThanOrEqual(3);
      expect(delays[1]).toBeGreaterThan(delays[0] as number);
      expect(delays[2]).toBeGreaterThan(delays[1] as number);
      await setupContainerd();
    }
    // The embedded runtime is the agent's own: it starts it again by itself.
    await waitReady(a, 'True', 30_000);
    const during = await a.waitForPod('during', (p) => mainStatus(p)?.state?.running !== undefined, 30_000, 'running after recovery');
    expect(during.status?.phase).toBe('Running');
    // Once it shows running again (a runtime coming back may report it otherwise for a moment): the same container, never restarted.
    const after = await a.waitForPod('steady', (p) => mainStatus(p)?.state?.running !== undefined, 30_000, 'running after recovery');
    expect(mainStatus(after)?.containerID).toBe(mainStatus(before)?.containerID);
    expect(mainStatus(after)?.restartCount).toBe(0);
    expect(mainStatus(after)?.state?.running?.startedAt).toBe(mainStatus(before)?.state?.running?.startedAt);
  }, 120_000);
});
