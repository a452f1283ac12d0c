import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { kerneletBin } from '@kernelet/sdk/testing';
import { describe, expect, it } from 'vitest';
import { repoPath } from './support/paths.js';

const run = promisify(execFile);
const version = (JSON.parse(readFileSync(repoPath('core/package.json'), 'utf8')) as { version: string }).version;

describe('kernelet --version', () => {
  it.each([['--version'], ['--version=true'], ['--root-dir', '/nonexistent', '--version']])('%s prints the version and starts nothing', async (...argv) => {
    const { stdout, stderr } = await run(process.execPath, [kerneletBin(), ...argv]);
    expect(stdout).toBe(`kernelet v${version}\n`);
    expect(stderr).toBe('');
  });

  it('refuses a value that is not a boolean, naming the flag', async () => {
    await expect(run(process.execPath, [kerneletBin(), '--version=maybe'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--version') });
  });
});
