import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProcessHandle } from './process-handle.js';

/** A handle over a child that is only its two output streams: the test writes what it "logs". */
function fakeChild(): { handle: ProcessHandle; log(fields: Record<string, unknown>): Promise<void> } {
  const stdout = new PassThrough();
  const child = Object.assign(new EventEmitter(), { stdout, stderr: new PassThrough() }) as unknown as ChildProcess;
  const handle = new ProcessHandle(child);
  let written = 0;
  return {
    handle,
    // Resolves once the handle has read the line, so the next step sees it.
    async log(fields) {
      const seq = written++;
      stdout.write(`${JSON.stringify({ ...fields, seq })}\n`);
      await handle.waitForLine((l) => l.json?.['seq'] === seq);
    },
  };
}

describe('ProcessHandle', () => {
  it('matches a line logged before the wait started', async () => {
    const { handle, log } = fakeChild();
    await log({ msg: 'plugin registered', plugin: 'a' });
    await expect(handle.waitForLog('plugin registered', { plugin: 'a' })).resolves.toMatchObject({ seq: 0 });
  });

  it('waits past a mark: an identical line logged before it does not count', async () => {
    const { handle, log } = fakeChild();
    await log({ msg: 'plugin registration failed', plugin: 'a' });
    const mark = handle.mark();
    const after = handle.waitForLogAfter(mark, 'plugin registration failed', { plugin: 'a' });
    await log({ msg: 'plugin unbound', plugin: 'a' });
    await log({ msg: 'plugin registration failed', plugin: 'b' });
    await log({ msg: 'plugin registration failed', plugin: 'a' });
    await expect(after).resolves.toMatchObject({ seq: 3 });
  });

  it('matches a line already read when it came after the mark', async () => {
    const { handle, log } = fakeChild();
    await log({ msg: 'registered with the agent' });
    const mark = handle.mark();
    await log({ msg: 'registered with the agent' });
    const line = await handle.waitForLineAfter(mark, (l) => l.json?.['msg'] === 'registered with the agent');
    expect(line.json).toMatchObject({ seq: 1 });
  });
});
