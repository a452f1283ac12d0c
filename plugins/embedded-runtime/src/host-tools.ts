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
  const missing: string[] = [];
  const find = async (name: string): Promise<string> => {
    const found = await locate(name, path);
    if (found === undefined) missing.push(name);
    return found ?? name;
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

/** Finds one tool as findHostTools does; the error names it and where it was looked for. */
export async function findHostTool(name: string, path = process.env['PATH'] ?? ''): Promise<string> {
  const found = await locate(name, path);
  if (found === undefined) throw new Error(`the embedded runtime needs ${name} (coreutils or util-linux) on PATH or in ${SEARCH.join(':')}`);
  return found;
}

async function locate(name: string, path: string): Promise<string | undefined> {
  for (const dir of [...path.split(':').filter((d) => d.startsWith('/')), ...SEARCH]) {
    const candidate = join(dir, name);
    const ok = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (ok) return candidate;
  }
  return undefined;
}
