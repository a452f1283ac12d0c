import { describe, expect, it } from 'vitest';
import { emptyPodStatus } from '../pods/runtime-status.js';
import { PodStatusCache } from './pod-status-cache.js';

describe('PodStatusCache', () => {
  it('answers at once with a status newer than asked', async () => {
    const cache = new PodStatusCache();
    cache.set('u', { ...emptyPodStatus('u'), name: 'fresh' }, undefined, 10);
    expect((await cache.getNewerThan('u', 5)).status.name).toBe('fresh');
  });

  it('waits for the next relist when the status is not newer', async () => {
    const cache = new PodStatusCache();
    cache.set('u', { ...emptyPodStatus('u'), name: 'old' }, undefined, 10);
    let got: string | undefined;
    void cache.getNewerThan('u', 10).then((r) => (got = r.status.name));
    await Promise.resolve();
    expect(got).toBeUndefined();
    cache.set('u', { ...emptyPodStatus('u'), name: 'new' }, undefined, 11);
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toBe('new');
  });

  it('answers an empty status for an unknown pod once the global time passes', async () => {
    const cache = new PodStatusCache();
    let got: unknown;
    void cache.getNewerThan('nobody', 0).then((r) => (got = r.status));
    await Promise.resolve();
    expect(got).toBeUndefined();
    cache.updateTime(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toEqual(emptyPodStatus('nobody'));
  });

  it('keeps the newer of two writes', () => {
    const cache = new PodStatusCache();
    cache.set('u', { ...emptyPodStatus('u'), name: 'newer' }, undefined, 20);
    cache.set('u', { ...emptyPodStatus('u'), name: 'older' }, undefined, 10);
    expect(cache.get('u').status.name).toBe('newer');
  });
});
