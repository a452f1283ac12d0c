import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { runtime } from '@kernelet/proto';
import type { Pod } from '@kernelet/sdk/common';
import { Backoff } from '../pods/backoff.js';
import { applyDefaultImageTag, defaultPullPolicy, ImageError, ImagePuller, shouldPullImage, type PullPolicy } from './image-puller.js';
import type { ImageService } from './runtime-service.js';

describe('applyDefaultImageTag', () => {
  it.each([
    ['busybox', 'busybox:latest'],
    ['localhost/kernelet-test/busybox:v1', 'localhost/kernelet-test/busybox:v1'],
    ['registry:5000/a/b', 'registry:5000/a/b:latest'],
    ['a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'],
  ])('%s -> %s', (input, output) => expect(applyDefaultImageTag(input)).toBe(output));

  it.each(['', 'Busybox', 'a b', 'busybox:', ':tag'])('refuses %j as InvalidImageName', (input) => {
    expect(() => applyDefaultImageTag(input)).toThrow(ImageError);
  });
});

describe('pull policy', () => {
  it.each([
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['busybox:v1', 'IfNotPresent'],
    ['registry:5000/busybox', 'Always'],
  ])('default for %s is %s', (image, policy) => expect(defaultPullPolicy(image)).toBe(policy));

  it.each<[PullPolicy, boolean, boolean]>([
    ['Always', true, true],
    ['Always', false, true],
    ['IfNotPresent', true, false],
    ['IfNotPresent', false, true],
    ['Never', true, false],
    ['Never', false, false],
  ])('%s with image present=%s pulls: %s', (policy, present, pull) => expect(shouldPullImage(policy, present)).toBe(pull));
});

function fakeImages(present: Set<string>, failPull = false): ImageService & { statusCalls: number; pulls: string[] } {
  const images = {
    statusCalls: 0,
    pulls: [] as string[],
    async imageStatus(spec: runtime.ImageSpec) {
      images.statusCalls++;
      await new Promise((r) => setTimeout(r, 5));
      return present.has(spec.image) ? ({ id: `sha256:${spec.image}` } as runtime.Image) : undefined;
    },
    async pullImage(spec: runtime.ImageSpec) {
      images.pulls.push(spec.image);
      if (failPull) throw new Error('no registry');
      present.add(spec.image);
      return `sha256:${spec.image}`;
    },
    async listImages() {
      return [];
    },
  };
  return images;
}

const pod = (uid: string): Pod => ({ metadata: { name: 'p', namespace: 'default', uid } });
const logger = pino({ level: 'silent' });

describe('ImagePuller', () => {
  it('does not pull a present image under IfNotPresent and coalesces status calls', async () => {
    const images = fakeImages(new Set(['busybox:v1']));
    const puller = new ImagePuller(images, new Backoff(10_000, 300_000), { serialize: true }, logger);
    const refs = await Promise.all(Array.from({ length: 20 }, (_, i) => puller.ensureImageExists(pod(`u${i}`), { name: 'c', image: 'busybox:v1', imagePullPolicy: 'IfNotPresent' })));
    expect(new Set(refs)).toEqual(new Set(['sha256:busybox:v1']));
    expect(images.statusCalls).toBe(1);
    expect(images.pulls).toEqual([]);
  });

  it('fails with ErrImageNeverPull for a missing image under Never', async () => {
    const puller = new ImagePuller(fakeImages(new Set()), new Backoff(10_000, 300_000), { serialize: true }, logger);
    await expect(puller.ensureImageExists(pod('u'), { name: 'c', image: 'nope:v1', imagePullPolicy: 'Never' })).rejects.toMatchObject({
      reason: 'ErrImageNeverPull',
      message: 'Container image "nope:v1" is not present with pull policy of Never',
    });
  });

  it('reports ErrImagePull, then ImagePullBackOff until the backoff has passed', async () => {
    let now = 1_000_000;
    const images = fakeImages(new Set(), true);
    const puller = new ImagePuller(images, new Backoff(10_000, 300_000, () => now), { serialize: false }, logger);
    const container = { name: 'c', image: 'missing:v1', imagePullPolicy: 'IfNotPresent' };
    const realNow = Date.now;
    Date.now = () => now;
    try {
      await expect(puller.ensureImageExists(pod('u'), container)).rejects.toMatchObject({ reason: 'ErrImagePull' });
      now += 5_000;
      await expect(puller.ensureImageExists(pod('u'), container)).rejects.toMatchObject({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "missing:v1"' });
      now += 5_000;
      await expect(puller.ensureImageExists(pod('u'), container)).rejects.toMatchObject({ reason: 'ErrImagePull' });
      expect(images.pulls).toEqual(['missing:v1', 'missing:v1']);
    } finally {
      Date.now = realNow;
    }
  });
});
