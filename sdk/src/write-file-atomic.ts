import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `file` with `content` atomically, as the kubelet's file store writes state
 * files: a temporary file beside it, written and synced, then renamed over it. A crash
 * leaves either the old or the new content, never a torn file. The directory is not
 * synced (upstream does not either): on a power loss the rename may be undone, leaving the
 * previous state, which is what every container (all gone with the power) last ran with.
 * Synchronous on purpose: a resource manager must not answer before its state is on disk.
 */
export function writeFileAtomic(file: string, content: string, mode = 0o600): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    writeSync(fd, content);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}
