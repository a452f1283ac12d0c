import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

export type Compression = 'gzip' | 'zstd' | 'none';

export interface LayerScan {
  /** sha256 of the file as stored (the layer digest in a manifest). */
  digest: string;
  compression: Compression;
  /** Member names, normalised: no leading "./" or "/", no trailing "/". */
  entries: string[];
}

const BLOCK = 512;

/**
 * Reads a layer once: hashes the stored bytes and lists the member names of the tar
 * inside (gzip or plain), following pax "path" records and GNU long names, without
 * extracting anything. The lister drives whiteouts and safety checks before extraction.
 */
export async function scanLayer(path: string): Promise<LayerScan> {
  const compression = await sniffCompression(path);
  if (compression === 'zstd') return { digest: await hashFile(path), compression, entries: [] };
  const hash = createHash('sha256');
  const lister = new TarLister();
  const source = createReadStream(path);
  source.on('data', (chunk) => hash.update(chunk));
  if (compression === 'gzip') await pipeline(source, createGunzip(), lister);
  else await pipeline(source, lister);
  return { digest: `sha256:${hash.digest('hex')}`, compression, entries: lister.entries };
}

export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), new Writable({ write: (chunk: Buffer, _enc, done) => (hash.update(chunk), done()) }));
  return `sha256:${hash.digest('hex')}`;
}

async function sniffCompression(path: string): Promise<Compression> {
  const head = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    createReadStream(path, { start: 0, end: 3 })
      .on('data', (c) => chunks.push(c as Buffer))
      .on('end', () => resolve(Buffer.concat(chunks)))
      .on('error', reject);
  });
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

export function normaliseEntryName(name: string): string {
  let n = name;
  while (n.startsWith('./')) n = n.slice(2);
  while (n.startsWith('/')) n = n.slice(1);
  while (n.endsWith('/')) n = n.slice(0, -1);
  return n;
}

/** A streaming tar header parser that records member names. */
export class TarLister extends Writable {
  readonly entries: string[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes of member data still to skip. */
  private skip = 0;
  /** Member data to collect (pax header or GNU long name) and what it is for. */
  private collect: { kind: 'pax' | 'longname'; size: number; padded: number } | undefined;
  private nextName: string | undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    try {
      this.consume(chunk);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private consume(chunk: Buffer): void {
    let data = chunk;
    if (this.skip > 0) {
      const n = Math.min(this.skip, data.length);
      this.skip -= n;
      data = data.subarray(n);
    }
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buffer.length);
        this.skip -= n;
        this.buffer = this.buffer.subarray(n);
        if (this.skip > 0) return;
      }
      if (this.collect) {
        if (this.buffer.length < this.collect.padded) return;
        const body = this.buffer.subarray(0, this.collect.size);
        this.buffer = this.buffer.subarray(this.collect.padded);
        if (this.collect.kind === 'longname') this.nextName = cString(body);
        else {
          const path = paxRecords(body).get('path');
          if (path !== undefined) this.nextName = path;
        }
        this.collect = undefined;
        continue;
      }
      if (this.buffer.length < BLOCK) return;
      const header = this.buffer.subarray(0, BLOCK);
      this.buffer = this.buffer.subarray(BLOCK);
      if (header.every((b) => b === 0)) continue;
      const size = parseNumber(header.subarray(124, 136));
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      const type = String.fromCharCode(header[156] ?? 0);
      if (type === 'x' || type === 'L') {
        this.collect = { kind: type === 'x' ? 'pax' : 'longname', size, padded };
        continue;
      }
      if (type === 'g' || type === 'K') {
        this.skip = padded;
        continue;
      }
      let name = this.nextName;
      this.nextName = undefined;
      if (name === undefined) {
        name = cString(header.subarray(0, 100));
        const magic = header.subarray(257, 262).toString('latin1');
        const prefix = magic === 'ustar' ? cString(header.subarray(345, 500)) : '';
        if (prefix !== '') name = `${prefix}/${name}`;
      }
      const normalised = normaliseEntryName(name);
      if (normalised !== '') this.entries.push(normalised);
      // Hard links, symlinks, directories and devices carry no data; their size field is 0.
      this.skip = type === '1' || type === '2' || type === '5' || type === '3' || type === '4' || type === '6' ? 0 : padded;
    }
  }
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

/** Octal, or base-256 when the top bit of the first byte is set (GNU/star for sizes ≥ 8 GiB). */
function parseNumber(field: Buffer): number {
  if ((field[0] ?? 0) & 0x80) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    return value;
  }
  const text = cString(field).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** pax extended header records: "<len> <key>=<value>\n". */
function paxRecords(body: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space < 0) break;
    const length = parseInt(body.subarray(offset, space).toString('latin1'), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = body.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    offset += length;
  }
  return records;
}
