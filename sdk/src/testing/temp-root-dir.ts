import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface TempRootDir {
  path: string;
  remove(): Promise<void>;
}

/**
 * A fresh --root-dir under /tmp. Kept short on purpose: socket paths below it must fit
 * a unix address (107 bytes).
 */
export async function makeTempRootDir(prefix = 'kt-'): Promise<TempRootDir> {
  const path = await mkdtemp(join('/tmp', prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
