import { describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import type { runtime } from '@kernelet/proto';
import type { Pod } from '@kernelet/sdk/common';
import { Backoff } from '../pods/backoff.js';
import { CriError } from './cri-error.js';
import { applyDefaultImageTag, defaultPullPolicy, ImageError, ImagePuller, pullErrorOf, shouldPullImage, type PullPolicy } from './image-puller.js';
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

function fakeImages(present: Set<string>, pullError?: Error, statusError?: Error): ImageService & { statusCalls: number; pulls: string[] } {
  const images = {
    statusCalls: 0,
    pulls: [] as string[],
    async imageStatus(spec: runtime.ImageSpec) {
      images.statusCalls++;
      await new Promise((r) => setTimeout(r, 5));
      if (statusError) throw statusError;
      return present.has(spec.image) ? ({ id: `sha256:${spec.image}` } as runtime.Image) : undefined;
    },
    async pullImage(spec: runtime.ImageSpec) {
      images.pulls.push(spec.image);
      if (pullError) throw pullError;
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
const criError = (code: grpc.status, detail: string) => new CriError('ImageService.PullImage', code, detail, 1);

describe('pullErrorOf', () => {
  // upstream evalCRIPullErr
  it.each<[string, string, string]>([
    ['failed to pull and unpack image "x:v1": not found', 'ErrImagePull', 'failed to pull and unpack image "x:v1": not found'],
    ['rpc error: code = NotFound desc = nope', 'ErrImagePull', 'rpc error: code = NotFound desc = nope'],
    ['RegistryUnavailable: connection refused', 'RegistryUnavailable', 'image pull failed for x because the registry is unavailable: connection refused'],
    ['RegistryUnavailable', 'RegistryUnavailable', 'image pull failed for x because the registry is unavailable'],
    ['SignatureValidationFailed: untrusted key', 'SignatureValidationFailed', 'image pull failed for x because the signature validation failed: untrusted key'],
  ])('%s', (text, reason, message) => expect(pullErrorOf('x', text)).toEqual({ reason, message }));
});

describe('ImagePuller', () => {
  it('does not pull a present image under IfNotPresent and coalesces status calls', async () => {
    const images = fakeImages(new Set(['busybox:v1']));
    const puller = new ImagePuller(images, new Backoff(10_000, 300_000), { serialize: true }, logger);
    const refs = await Promise.all(Array.from({ length: 20 }, (_, i) => puller.ensureImageExists(pod(`u${i}`), { name: 'c', image: 'busybox:v1', imagePullPolicy: 'IfNotPresent' })));
    expect(new Set(refs)).toEqual(new Set(['sha256:busybox:v1']));
    expect(images.statusCalls).toBe(1);
    expect(images.pulls).toEqual([]);
  });

  it('pulls under Always without asking ImageStatus', async () => {
    const images = fakeImages(new Set(['busybox:latest']), undefined, new Error('ImageStatus must not be called'));
    const puller = new ImagePuller(images, new Backoff(10_000, 300_000), { serialize: true }, logger);
    expect(await puller.ensureImageExists(pod('u'), { name: 'c', image: 'busybox', imagePullPolicy: 'Always' })).toBe('sha256:busybox:latest');
    expect(images.statusCalls).toBe(0);
    expect(images.pulls).toEqual(['busybox:latest']);
  });

  it('fails with ErrImageNeverPull for a missing image under Never', async () => {
    const puller = new ImagePuller(fakeImages(new Set()), new Backoff(10_000, 300_000), { serialize: true }, logger);
    await expect(puller.ensureImageExists(pod('u'), { name: 'c', image: 'nope:v1', imagePullPolicy: 'Never' })).rejects.toMatchObject({
      reason: 'ErrImageNeverPull',
      message: 'Container image "nope:v1" is not present with pull policy of Never',
    });
  });

  it('fails with ErrImageInspect when ImageStatus fails, as upstream words it', async () => {
    const images = fakeImages(new Set(), undefined, new CriError('ImageService.ImageStatus', grpc.status.UNKNOWN, 'boom', 1));
    const puller = new ImagePuller(images, new Backoff(10_000, 300_000), { serialize: true }, logger);
    await expect(puller.ensureImageExists(pod('u'), { name: 'c', image: 'x:v1', imagePullPolicy: 'IfNotPresent' })).rejects.toMatchObject({
      reason: 'ErrImageInspect',
      message: 'Failed to inspect image "": rpc error: code = Unknown desc = boom',
    });
  });

  it.each<[string, Error, string, string]>([
    ['an Unknown status: the runtime\'s words', criError(grpc.status.UNKNOWN, 'failed to pull and unpack image "missing:v1": not found'), 'ErrImagePull', 'failed to pull and unpack image "missing:v1": not found'],
    ['another status: Go\'s gRPC error text', criError(grpc.status.NOT_FOUND, 'no such image'), 'ErrImagePull', 'rpc error: code = NotFound desc = no such image'],
    ['RegistryUnavailable', criError(grpc.status.UNKNOWN, 'RegistryUnavailable: dial tcp: connection refused'), 'RegistryUnavailable', 'image pull failed for missing:v1 because the registry is unavailable: dial tcp: connection refused'],
  ])('reports a failed pull (%s), then ImagePullBackOff with that error until the backoff has passed', async (_name, error, reason, message) => {
    let now = 1_000_000;
    const images = fakeImages(new Set(), error);
    const puller = new ImagePuller(images, new Backoff(10_000, 300_000, () => now), { serialize: false }, logger);
    const container = { name: 'c', image: 'missing:v1', imagePullPolicy: 'IfNotPresent' };
    const realNow = Date.now;
    Date.now = () => now;
    try {
      await expect(puller.ensureImageExists(pod('u'), container)).rejects.toMatchObject({ reason, message });
      now += 5_000;
      await expect(puller.ensureImageExists(pod('u'), container)).rejects.toMatchObject({ reason: 'ImagePullBackOff', message: `Back-off pulling image "missing:v1": ${reason}: ${message}` });
      now += 5_000;
      await expect(puller.ensureImageExists(pod('u'), container)).rejects.toMatchObject({ reason, message });
      expect(images.pulls).toEqual(['missing:v1', 'missing:v1']);
    } finally {
      Date.now = realNow;
    }
  });

  it('keys the backoff by pod and the image as the container names it', async () => {
    let now = 1_000_000;
    const images = fakeImages(new Set(), criError(grpc.status.UNKNOWN, 'not found'));
    const puller = new ImagePuller(images, new Backoff(10_000, 300_000, () => now), { serialize: false }, logger);
    const realNow = Date.now;
    Date.now = () => now;
    try {
      await expect(puller.ensureImageExists(pod('u'), { name: 'a', image: 'missing', imagePullPolicy: 'IfNotPresent' })).rejects.toMatchObject({ reason: 'ErrImagePull' });
      now += 1_000;
      // Another spelling of the same image is another key: pulled, not backed off.
      await expect(puller.ensureImageExists(pod('u'), { name: 'b', image: 'missing:latest', imagePullPolicy: 'IfNotPresent' })).rejects.toMatchObject({ reason: 'ErrImagePull' });
      await expect(puller.ensureImageExists(pod('v'), { name: 'a', image: 'missing', imagePullPolicy: 'IfNotPresent' })).rejects.toMatchObject({ reason: 'ErrImagePull' });
      await expect(puller.ensureImageExists(pod('u'), { name: 'a', image: 'missing', imagePullPolicy: 'IfNotPresent' })).rejects.toMatchObject({
        reason: 'ImagePullBackOff',
        message: 'Back-off pulling image "missing": ErrImagePull: not found',
      });
      puller.forgetPod('u');
      await expect(puller.ensureImageExists(pod('u'), { name: 'a', image: 'missing', imagePullPolicy: 'IfNotPresent' })).rejects.toMatchObject({ reason: 'ErrImagePull' });
      expect(images.pulls).toEqual(['missing:latest', 'missing:latest', 'missing:latest', 'missing:latest']);
    } finally {
      Date.now = realNow;
    }
  });
});
