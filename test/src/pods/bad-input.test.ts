// Bad input does not stop good pods: broken manifests next to running pods, a pod whose image
// is missing, two manifests for one pod. Each problem is logged naming what is wrong.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '@kernelet/sdk/common';
import { IS_ROOT, PodAgent, SETUP_TIMEOUT_MS, podManifest, setupContainerd, sleep } from './pod-harness.js';

const mainStatus = (pod: Pod | undefined) => pod?.status?.containerStatuses?.find((c) => c.name === 'main');

describe('bad input', () => {
  let endpoint = '';
  let agent: PodAgent | undefined;

  beforeAll(async () => {
    if (IS_ROOT) endpoint = await setupContainerd();
  }, SETUP_TIMEOUT_MS);

  afterEach(async () => {
    await agent?.dispose();
    agent = undefined;
  }, 60_000);

  it.skipIf(!IS_ROOT)('keeps running pods running next to broken manifests and a duplicate pod, each refusal logged', async () => {
    const a = (agent = await PodAgent.start({ runtime: 'containerd', endpoint }));
    await a.writeManifest('a-good.yaml', podManifest('good'));
    const before = await a.waitForPod('good', (p) => mainStatus(p)?.state?.running !== undefined, 30_000, 'running');

    await a.writeManifest('b-deployment.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nope\n');
    await a.writeManifest('c-bomb.yaml', 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n');
    await a.writeManifest('d-bad-name.yaml', JSON.stringify(podManifest('Bad_Name')));
    await a.writeManifest('e-duplicate.yaml', JSON.stringify(podManifest('good', { command: ['sleep', '1'] })));
    await a.writeManifest('f-html.yaml', '<html><body>502 Bad Gateway</body></html>\n');
    await a.writeManifest('g-also-good.yaml', podManifest('also-good'));

    await a.waitForPod('also-good', (p) => mainStatus(p)?.state?.running !== undefined, 30_000, 'running');
    await sleep(1500);
    const after = await a.pod('good');
    expect(mainStatus(after)?.containerID).toBe(mainStatus(before)?.containerID);
    expect(after?.metadata?.uid).toBe(before.metadata?.uid);
    expect((await a.pods()).map((p) => p.metadata?.name).sort()).toEqual(['also-good-node-a', 'good-node-a']);
    for (const file of ['b-deployment.yaml', 'c-bomb.yaml', 'd-bad-name.yaml', 'e-duplicate.yaml', 'f-html.yaml']) {
      await a.process.waitForLine((l) => typeof l.json?.['file'] === 'string' && l.json['file'].split('/').at(-1) === file, 10_000);
    }
  }, 90_000);

  it.skipIf(!IS_ROOT)('reports a missing image as ErrImagePull then ImagePullBackOff, or ErrImageNeverPull, without touching other pods', async () => {
    const a = (agent = await PodAgent.start({ runtime: 'containerd', endpoint }));
    await a.writeManifest('fine.yaml', podManifest('fine'));
    const missing = podManifest('missing');
    missing.spec!.containers[0]!.image = 'localhost/kernelet-test/does-not-exist:v1';
    const never = podManifest('never');
    never.spec!.containers[0]!.image = 'localhost/kernelet-test/does-not-exist:v1';
    never.spec!.containers[0]!.imagePullPolicy = 'Never';
    await a.writeManifest('missing.yaml', missing);
    await a.writeManifest('never.yaml', never);

    await a.waitForPod('fine', (p) => mainStatus(p)?.state?.running !== undefined, 30_000, 'running');
    // As upstream: the runtime's error as the message, then the back-off naming it.
    const pulled = await a.waitForPod('missing', (p) => mainStatus(p)?.state?.waiting?.reason === 'ErrImagePull', 30_000, 'ErrImagePull');
    const pullError = mainStatus(pulled)?.state?.waiting?.message ?? '';
    expect(pullError).toMatch(/^failed to pull and unpack image "localhost\/kernelet-test\/does-not-exist:v1": /);
    const backOff = await a.waitForPod('missing', (p) => mainStatus(p)?.state?.waiting?.reason === 'ImagePullBackOff', 30_000, 'ImagePullBackOff');
    expect(mainStatus(backOff)?.state?.waiting?.message).toBe(`Back-off pulling image "localhost/kernelet-test/does-not-exist:v1": ErrImagePull: ${pullError}`);
    const neverPod = await a.waitForPod('never', (p) => mainStatus(p)?.state?.waiting?.reason === 'ErrImageNeverPull', 30_000, 'ErrImageNeverPull');
    expect(mainStatus(neverPod)?.state?.waiting?.message).toBe('Container image "localhost/kernelet-test/does-not-exist:v1" is not present with pull policy of Never');
    expect(neverPod.status?.phase).toBe('Pending');
    await a.process.waitForLog('image pull failed', { pod: 'default/missing-node-a', image: 'localhost/kernelet-test/does-not-exist:v1' });
  }, 90_000);
});
