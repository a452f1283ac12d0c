import { describe, expect, it } from 'vitest';
import type { Pod } from '@kernelet/sdk/common';
import { PodConfig, type PodConfigProblem } from './pod-config.js';

function pod(name: string, uid = `uid-${name}`, extra: { image?: string; seen?: string; status?: Pod['status'] } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid, annotations: { 'kubernetes.io/config.source': 'file', 'kubernetes.io/config.seen': extra.seen ?? 't0' } },
    spec: { containers: [{ name: 'c', image: extra.image ?? 'busybox:v1' }] },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

const summary = (updates: ReturnType<PodConfig['merge']>) => updates.map((u) => `${u.op}:${u.pods.map((p) => p.metadata?.name).join(',')}`);

describe('PodConfig', () => {
  it('a first SET adds the pods and marks the source seen', () => {
    const config = new PodConfig();
    expect(config.seenAll(['file'])).toBe(false);
    expect(summary(config.merge({ op: 'SET', source: 'file', pods: [pod('a'), pod('b')] }))).toEqual(['ADD:a,b']);
    expect(config.seenAll(['file'])).toBe(true);
    expect(config.seenAll(['file', 'http'])).toBe(false);
  });

  it('an empty first SET still tells the agent the source is ready', () => {
    expect(summary(new PodConfig().merge({ op: 'SET', source: 'http', pods: [] }))).toEqual(['ADD:']);
  });

  it('a SET replaces the set: removals first, then additions and updates', () => {
    const config = new PodConfig();
    config.merge({ op: 'SET', source: 'file', pods: [pod('a'), pod('b'), pod('c')] });
    const out = config.merge({ op: 'SET', source: 'file', pods: [pod('a'), pod('b', 'uid-b', { image: 'busybox:v2' }), pod('d')] });
    expect(summary(out)).toEqual(['REMOVE:c', 'ADD:d', 'UPDATE:b']);
  });

  it('an edited static pod (new UID) is a removal and an addition', () => {
    const config = new PodConfig();
    config.merge({ op: 'SET', source: 'file', pods: [pod('web', 'uid-1')] });
    expect(summary(config.merge({ op: 'SET', source: 'file', pods: [pod('web', 'uid-2')] }))).toEqual(['REMOVE:web', 'ADD:web']);
  });

  it('a new config.seen time alone is no change; a status change is a reconcile', () => {
    const config = new PodConfig();
    config.merge({ op: 'SET', source: 'file', pods: [pod('a')] });
    expect(config.merge({ op: 'SET', source: 'file', pods: [pod('a', 'uid-a', { seen: 't1' })] })).toEqual([]);
    expect(summary(config.merge({ op: 'SET', source: 'file', pods: [pod('a', 'uid-a', { status: { phase: 'Running' } })] }))).toEqual(['RECONCILE:a']);
  });

  it('drops a second pod with the same full name in one update and says why', () => {
    const problems: PodConfigProblem[] = [];
    const config = new PodConfig((p) => problems.push(p));
    expect(summary(config.merge({ op: 'SET', source: 'file', pods: [pod('a', 'uid-1'), pod('a', 'uid-2')] }))).toEqual(['ADD:a']);
    expect(problems).toEqual([{ source: 'file', pod: 'default/a', message: 'Error validating pod default/a from file due to duplicate pod name "a", ignoring' }]);
  });

  it('keeps sources apart: a SET of one does not remove the pods of another', () => {
    const config = new PodConfig();
    config.merge({ op: 'SET', source: 'file', pods: [pod('a')] });
    config.merge({ op: 'SET', source: 'http', pods: [pod('h')] });
    expect(summary(config.merge({ op: 'SET', source: 'file', pods: [] }))).toEqual(['REMOVE:a']);
    expect(config.all().map((p) => p.metadata?.name)).toEqual(['h']);
  });

  it('ADD, UPDATE and REMOVE apply to the pods named', () => {
    const config = new PodConfig();
    config.merge({ op: 'SET', source: 'api', pods: [] });
    expect(summary(config.merge({ op: 'ADD', source: 'api', pods: [pod('a')] }))).toEqual(['ADD:a']);
    expect(summary(config.merge({ op: 'UPDATE', source: 'api', pods: [pod('a', 'uid-a', { image: 'x:1' })] }))).toEqual(['UPDATE:a']);
    expect(summary(config.merge({ op: 'REMOVE', source: 'api', pods: [pod('a')] }))).toEqual(['REMOVE:a']);
    expect(config.merge({ op: 'REMOVE', source: 'api', pods: [pod('a')] })).toEqual([]);
  });

  it('a source whose stream ended is unseen until it sends a full set again', () => {
    const config = new PodConfig();
    config.merge({ op: 'SET', source: 'file', pods: [pod('a')] });
    config.markUnseen('file');
    expect(config.seenAll(['file'])).toBe(false);
    // Nothing changed; the empty ADD only signals that the source is ready again.
    expect(summary(config.merge({ op: 'SET', source: 'file', pods: [pod('a')] }))).toEqual(['ADD:']);
    expect(config.seenAll(['file'])).toBe(true);
  });
});
