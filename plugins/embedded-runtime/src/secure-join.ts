import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';

const MAX_SYMLINKS = 40;

/**
 * The host path of `unsafePath` as seen from inside `root`: symlinks are followed as the
 * kernel would after chroot(root) (an absolute target restarts at root, ".." never
 * leaves root). Components that do not exist are appended as they are.
 */
export async function secureJoin(root: string, unsafePath: string): Promise<string> {
  if (root === '/') return posix.normalize(posix.join('/', unsafePath));
  const pending = unsafePath.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const hostPath = join(root, ...resolved, part);
    const info = await lstat(hostPath).catch(() => undefined);
    if (!info?.isSymbolicLink()) {
      resolved.push(part);
      if (!info) return join(root, ...resolved, ...pending);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new Error(`too many symlinks resolving ${unsafePath} in ${root}`);
    const target = await readlink(hostPath);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return join(root, ...resolved);
}
