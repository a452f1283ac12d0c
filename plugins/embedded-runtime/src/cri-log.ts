import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { WriteStream } from 'node:fs';
import type { Logger } from 'pino';
import { formatRfc3339Nano, nowNs } from './clock.js';

/** Upstream's maximum log line: longer lines become P records of this size, then an F record. */
export const MAX_LOG_LINE_BYTES = 16 * 1024;

export type LogStream = 'stdout' | 'stderr';
/** P: partial (the line continues in the next record); F: full (the line ends here). */
export type LogTag = 'P' | 'F';

/** Where records go; false means "slow down" (call onDrain before writing more). */
export interface LogRecordSink {
  writeRecord(stream: LogStream, tag: LogTag, content: Buffer): boolean;
  onDrain(listener: () => void): void;
}

const NEWLINE = 0x0a;

/**
 * Cuts one output stream into CRI log records without holding more than one line
 * (at most MAX_LOG_LINE_BYTES) in memory: "ts stream F line", a line longer than the
 * maximum as P records of exactly the maximum followed by an F record with the rest,
 * and a last line without a newline (at end of stream) as an F record.
 */
export class CriLineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly stream: LogStream,
    private readonly sink: LogRecordSink,
    private readonly maxLineBytes = MAX_LOG_LINE_BYTES,
  ) {}

  /** Returns false when the sink asked to slow down. */
  push(chunk: Buffer): boolean {
    let ok = true;
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      let piece = chunk.subarray(start, end);
      while (this.pendingBytes + piece.length > this.maxLineBytes) {
        const take = this.maxLineBytes - this.pendingBytes;
        ok = this.emit('P', piece.subarray(0, take)) && ok;
        piece = piece.subarray(take);
      }
      if (newline === -1) {
        if (piece.length > 0) {
          this.pending.push(Buffer.from(piece));
          this.pendingBytes += piece.length;
        }
        break;
      }
      ok = this.emit('F', piece) && ok;
      start = newline + 1;
    }
    return ok;
  }

  /** End of stream: a pending line without its newline is still a full line. */
  end(): void {
    if (this.pendingBytes > 0) this.emit('F', Buffer.alloc(0));
  }

  private emit(tag: LogTag, tail: Buffer): boolean {
    const content = this.pendingBytes === 0 ? tail : Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingBytes = 0;
    return this.sink.writeRecord(this.stream, tag, content);
  }
}

/** Formats one record: `2026-11-22T07:37:38.547753251Z stdout F msg\n`. */
export function formatRecord(stream: LogStream, tag: LogTag, content: Buffer, ns: bigint = nowNs()): Buffer {
  const header = `${formatRfc3339Nano(ns)} ${stream} ${tag} `;
  const record = Buffer.allocUnsafe(header.length + content.length + 1);
  record.write(header, 0, 'latin1');
  content.copy(record, header.length);
  record[record.length - 1] = NEWLINE;
  return record;
}

/**
 * A container's log file in CRI format, written through one fd. reopen() starts a new
 * file at the same path (the agent renames the old one when it rotates); write errors
 * are logged once and the output discarded, so a full disk never blocks a container.
 */
export class CriLogWriter implements LogRecordSink {
  private out: WriteStream | undefined;
  private failed = false;
  private readonly drainListeners: (() => void)[] = [];

  private constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** Opens (creating its directory) the log at path; an empty path discards everything. */
  static async open(path: string, logger: Logger): Promise<CriLogWriter> {
    const writer = new CriLogWriter(path, logger);
    if (path !== '') writer.attach(await openAppend(path));
    return writer;
  }

  writeRecord(stream: LogStream, tag: LogTag, content: Buffer): boolean {
    if (!this.out || this.failed) return true;
    return this.out.write(formatRecord(stream, tag, content));
  }

  onDrain(listener: () => void): void {
    if (!this.out || this.failed || !this.out.writableNeedDrain) {
      listener();
      return;
    }
    this.drainListeners.push(listener);
  }

  async reopen(): Promise<void> {
    if (this.path === '') return;
    const next = await openAppend(this.path);
    const previous = this.out;
    this.failed = false;
    this.attach(next);
    if (previous) await endStream(previous);
  }

  async close(): Promise<void> {
    const out = this.out;
    this.out = undefined;
    this.flushDrainListeners();
    if (out) await endStream(out);
  }

  private attach(out: WriteStream): void {
    this.out = out;
    out.on('drain', () => {
      if (this.out === out) this.flushDrainListeners();
    });
    out.on('error', (err) => {
      if (this.out !== out) return;
      this.failed = true;
      this.logger.error({ err, path: this.path }, 'container log write failed; discarding output until the log is reopened');
      this.flushDrainListeners();
    });
  }

  private flushDrainListeners(): void {
    for (const listener of this.drainListeners.splice(0)) listener();
  }
}

async function openAppend(path: string): Promise<WriteStream> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const handle = await open(path, 'a', 0o640);
  return handle.createWriteStream();
}

function endStream(out: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (out.destroyed) {
      resolve();
      return;
    }
    out.once('error', () => resolve());
    out.end(() => resolve());
  });
}
