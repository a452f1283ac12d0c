import { describe, expect, it } from 'vitest';
import type { Pod } from '@kernelet/sdk/common';
import { TerminationOrdering } from './termination-ordering.js';

const pod: Pod = {
  metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: {
    initContainers: [
      { name: 'side1', restartPolicy: 'Always' },
      { name: 'init' },
      { name: 'side2', restartPolicy: 'Always' },
    ],
    containers: [{ name: 'a' }, { name: 'b' }],
  },
};

/** Whether the promise has settled once pending callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

describe('TerminationOrdering', () => {
  it('stops app containers at once, then sidecars in reverse order of definition', async () => {
    const ordering = new TerminationOrdering(pod, ['a', 'b', 'side1', 'side2']);
    expect(await settled(ordering.waitForTurn('a', 30))).toBe(true);
    expect(await settled(ordering.waitForTurn('b', 30))).toBe(true);
    const side2 = ordering.waitForTurn('side2', 30);
    const side1 = ordering.waitForTurn('side1', 30);
    ordering.containerStopped('a');
    expect(await settled(side2)).toBe(false);
    ordering.containerStopped('b');
    expect(await settled(side2)).toBe(true);
    expect(await settled(side1)).toBe(false);
    ordering.containerStopped('side2');
    expect(await settled(side1)).toBe(true);
    expect(await side1).toBe(0);
  });

  it('does not wait for containers that are not running', async () => {
    const ordering = new TerminationOrdering(pod, ['side1', 'b']);
    const side1 = ordering.waitForTurn('side1', 30);
    expect(await settled(side1)).toBe(false);
    ordering.containerStopped('b');
    expect(await settled(side1)).toBe(true);
  });

  it('does not wait without a grace period', async () => {
    const ordering = new TerminationOrdering(pod, ['a', 'side1']);
    expect(await settled(ordering.waitForTurn('side1', 0))).toBe(true);
  });
});
