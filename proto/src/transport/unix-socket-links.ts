import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_UNIX_PATH } from './bind-unix-socket.js';

/**
 * Short paths to dial unix sockets whose paths are too long for a unix address (such as the
 * agent's host.sock under a deep --root-dir): a symlink per socket in a private directory
 * (mkdtemp: unpredictable name, mode 0700, so no other user can swap a link). connect(2)
 * follows the link whatever filesystem either side is on, and keeps working across
 * reconnects. Synchronous, because clients are made synchronously; it is a few local calls.
 */
export class UnixSocketLinks {
  private dir: string | undefined;

  /** The path itself when it fits a unix address, else a short link to it. */
  dialPath(socketPath: string): string {
    if (Buffer.byteLength(socketPath) <= MAX_UNIX_PATH) return socketPath;
    this.dir ??= mkdtempSync(join(tmpdir(), 'kernelet-links-'));
    const link = join(this.dir, `${createHash('sha256').update(socketPath).digest('hex').slice(0, 16)}.sock`);
    if (Buffer.byteLength(link) > MAX_UNIX_PATH) throw new Error(`cannot dial ${socketPath}: even its link ${link} is longer than ${MAX_UNIX_PATH} bytes (set TMPDIR to a shorter directory)`);
    // Made aside and renamed over the link: replacing it is atomic.
    const aside = join(this.dir, `.${randomBytes(6).toString('hex')}`);
    symlinkSync(socketPath, aside);
    renameSync(aside, link);
    return link;
  }

  /** Removes the links (connections already made stay up). */
  remove(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
