import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';

/** The host programs the runtime builds container processes from (util-linux and coreutils). */
export interface HostTools {
  sh: string;
  env: string;
  unshare: string;
  nsenter: string;
  mount: string;
  mkfifo: string;
}

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Finds each tool on PATH or in the usual directories; the error names every missing one. */
export async function findHostTools(path = process.env['PATH'] ?? ''): Promise<HostTools> {
  const dirs = [...path.split(':').filter((d) => d.startsWith('/')), ...SEARCH];
  const missing: string[] = [];
  const find = async (name: string): Promise<string> => {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      const ok = await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      );
      if (ok) return candidate;
    }
    missing.push(name);
    return name;
  };
  const tools: HostTools = {
    sh: await find('sh'),
    env: await find('env'),
    unshare: await find('unshare'),
    nsenter: await find('nsenter'),
    mount: await find('mount'),
    mkfifo: await find('mkfifo'),
  };
  if (missing.length > 0) {
    throw new Error(`the embedded runtime needs ${missing.join(', ')} (coreutils and util-linux) on PATH or in ${SEARCH.join(':')}`);
  }
  return tools;
}
