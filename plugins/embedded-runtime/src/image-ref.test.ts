import { describe, expect, it } from 'vitest';
import { isImageId, parseImageRef, refToDirName } from './image-ref.js';

describe('parseImageRef', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx:latest'],
    ['localhost/kernelet-test/busybox:v1', 'localhost/kernelet-test/busybox:v1'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    [`busybox@sha256:${'a'.repeat(64)}`, `docker.io/library/busybox@sha256:${'a'.repeat(64)}`],
    [`quay.io/x/y:1@sha256:${'b'.repeat(64)}`, `quay.io/x/y:1@sha256:${'b'.repeat(64)}`],
  ])('%s → %s', (input, normalised) => {
    expect(parseImageRef(input).normalised).toBe(normalised);
  });

  it.each([[''], ['Busybox'], ['busybox:'], ['a//b'], ['busybox@sha256:short'], ['bad tag:x y']])('refuses %j', (input) => {
    expect(() => parseImageRef(input)).toThrow(/image reference/);
  });

  it('tells ids from names', () => {
    expect(isImageId(`sha256:${'0'.repeat(64)}`)).toBe(true);
    expect(isImageId('busybox')).toBe(false);
  });

  it('escapes references into distinct file names', () => {
    expect(refToDirName('localhost/a/b:v1')).toBe('localhost%2Fa%2Fb%3Av1');
    expect(refToDirName('a/b_c:1')).not.toBe(refToDirName('a_b/c:1'));
  });
});
