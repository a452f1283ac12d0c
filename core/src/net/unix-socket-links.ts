import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_UNIX_PATH } from './bind-unix-socket.js';

/**
 * Short paths to dial unix sockets whose paths are too long for a unix address: a symlink
 * per socket in a private directory (mkdtemp: unpredictable name, mode 0700, so no other
 * user can swap a link). connect(2) follows the link whatever filesystem either side is on,
 * and keeps working across reconnects, which a directory fd would not.
 */
export class UnixSocketLinks {
  private dir: Promise<string> | undefined;

  /** The path itself when it fits a unix address, else a short link to it. */
  async dialPath(socketPath: string): Promise<string> {
    if (Buffer.byteLength(socketPath) <= MAX_UNIX_PATH) return socketPath;
    this.dir ??= mkdtemp(join(tmpdir(), 'kernelet-links-')).catch((error: unknown) => {
      this.dir = undefined;
      throw error;
    });
    const dir = await this.dir;
    const link = join(dir, `${createHash('sha256').update(socketPath).digest('hex').slice(0, 16)}.sock`);
    if (Buffer.byteLength(link) > MAX_UNIX_PATH) throw new Error(`cannot dial ${socketPath}: even its link ${link} is longer than ${MAX_UNIX_PATH} bytes (set TMPDIR to a shorter directory)`);
    // Made aside and renamed over the link: replacing it is atomic, whoever else is dialing the same socket.
    const aside = join(dir, `.${randomBytes(6).toString('hex')}`);
    await symlink(socketPath, aside);
    await rename(aside, link);
    return link;
  }

  /** Removes the links (connections already made stay up). */
  async remove(): Promise<void> {
    const dir = this.dir;
    this.dir = undefined;
    if (dir) await rm(await dir, { recursive: true, force: true });
  }
}
