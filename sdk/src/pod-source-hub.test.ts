import { describe, expect, it } from 'vitest';
import type { Pod } from './common/index.js';
import { PodSourceHub } from './pod-source-hub.js';

const pod = (name: string): Pod => ({ metadata: { name, namespace: 'default', uid: name } });

describe('PodSourceHub', () => {
  it('sends a new watcher nothing until the source has reported its full set', () => {
    const hub = new PodSourceHub();
    const seen: string[] = [];
    hub.watch((op, pods) => seen.push(`${op}:${pods.map((p) => p.metadata?.name).join(',')}`));
    hub.add([pod('early')]);
    expect(seen).toEqual([]);
    hub.set([pod('a'), pod('b')]);
    expect(seen).toEqual(['SET:a,b']);
  });

  it('replays the current set to a late watcher, then streams changes', () => {
    const hub = new PodSourceHub();
    hub.set([pod('a')]);
    hub.add([pod('b')]);
    hub.remove([pod('a')]);
    const seen: string[] = [];
    const stop = hub.watch((op, pods) => seen.push(`${op}:${pods.map((p) => p.metadata?.name).join(',')}`));
    hub.update([pod('b')]);
    stop();
    hub.add([pod('c')]);
    expect(seen).toEqual(['SET:b', 'UPDATE:b']);
  });
});
