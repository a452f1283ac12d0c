import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './write-file-atomic.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atomic-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary file behind', () => {
    const file = join(dir, 'state_file');
    writeFileSync(file, 'old');
    writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['state_file']);
  });

  it('creates the directory', () => {
    const file = join(dir, 'a', 'b', 'state_file');
    writeFileAtomic(file, 'x');
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('keeps the old file and removes the temporary one when the rename fails', () => {
    const file = join(dir, 'state_file');
    mkdirSync(join(file, 'blocker'), { recursive: true });
    expect(() => writeFileAtomic(file, 'new')).toThrow();
    expect(readdirSync(dir)).toEqual(['state_file']);
  });
});

describe('writeFileAtomic modes', () => {
  it('writes the file with mode 0600 by default', () => {
    const file = join(dir, 'secret');
    writeFileAtomic(file, 'x');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
