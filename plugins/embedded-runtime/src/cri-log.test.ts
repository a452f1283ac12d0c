import { describe, expect, it } from 'vitest';
import { formatRfc3339Nano } from './clock.js';
import { CriLineSplitter, formatRecord, MAX_LOG_LINE_BYTES, type LogRecordSink, type LogTag } from './cri-log.js';

class Recorder implements LogRecordSink {
  readonly records: [LogTag, string][] = [];
  writeRecord(_stream: 'stdout' | 'stderr', tag: LogTag, content: Buffer): boolean {
    this.records.push([tag, content.toString('latin1')]);
    return true;
  }
  onDrain(listener: () => void): void {
    listener();
  }
}

const K = MAX_LOG_LINE_BYTES;

/** Feeds the chunks, ends the stream, and returns the records as [tag, length or text]. */
function split(chunks: string[]): [LogTag, string | number][] {
  const sink = new Recorder();
  const splitter = new CriLineSplitter('stdout', sink);
  for (const chunk of chunks) splitter.push(Buffer.from(chunk, 'latin1'));
  splitter.end();
  return sink.records.map(([tag, text]) => [tag, text.length > 40 ? text.length : text]);
}

describe('CriLineSplitter', () => {
  it.each<[string, string[], [LogTag, string | number][]]>([
    ['one line', ['hello\n'], [['F', 'hello']]],
    ['two lines in one chunk', ['a\nb\n'], [['F', 'a'], ['F', 'b']]],
    ['a line across chunks', ['he', 'll', 'o\n'], [['F', 'hello']]],
    ['an empty line', ['\n'], [['F', '']]],
    ['a carriage return is content', ['a\r\n'], [['F', 'a\r']]],
    ['a last line without newline is full', ['a\nlast'], [['F', 'a'], ['F', 'last']]],
    ['exactly the maximum is one full record', ['x'.repeat(K) + '\n'], [['F', K]]],
    ['one byte over the maximum', ['x'.repeat(K + 1) + '\n'], [['P', K], ['F', 'x']]],
    ['2.5 times the maximum', ['x'.repeat(K * 2.5) + '\n'], [['P', K], ['P', K], ['F', K / 2]]],
    ['a long line in small chunks', [...Array.from({ length: 40 }, () => 'y'.repeat(1000)), '\n'], [['P', K], ['P', K], ['F', 40_000 - 2 * K]]],
    ['a long last line without newline', ['z'.repeat(K + 5)], [['P', K], ['F', 'zzzzz']]],
    ['exactly the maximum without newline at end', ['z'.repeat(K)], [['F', K]]],
  ])('%s', (_name, chunks, expected) => {
    expect(split(chunks)).toEqual(expected);
  });

  it('keeps bytes intact across splits', () => {
    const sink = new Recorder();
    const splitter = new CriLineSplitter('stderr', sink);
    const line = Array.from({ length: K + 100 }, (_, i) => String.fromCharCode(33 + (i % 90))).join('');
    splitter.push(Buffer.from(`${line}\n`, 'latin1'));
    expect(sink.records.map(([, text]) => text).join('')).toBe(line);
  });
});

describe('formatRecord', () => {
  it('writes "RFC3339Nano stream tag content\\n"', () => {
    const ns = 1_795_000_000_123_456_789n;
    expect(formatRecord('stdout', 'F', Buffer.from('msg'), ns).toString()).toBe(`${formatRfc3339Nano(ns)} stdout F msg\n`);
    expect(formatRfc3339Nano(ns)).toBe('2026-11-18T11:06:40.123456789Z');
    expect(formatRfc3339Nano(1_795_000_000_000_000_001n)).toBe('2026-11-18T11:06:40.000000001Z');
  });
});
