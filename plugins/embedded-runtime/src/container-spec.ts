import { access, constants, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { posix } from 'node:path';
import type { runtime } from '@kernelet/proto';
import { failedPrecondition, invalidArgument } from './errors.js';
import type { ResolvedImage } from './image-store.js';
import { secureJoin } from './secure-join.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ProcessSpec {
  argv: string[];
  env: string[];
  workingDir: string;
  user: { uid: number; gid: number } | undefined;
}

/**
 * The process a container runs, as containerd derives it: command and args from the
 * config, else the image's Entrypoint and Cmd; the image's Env overridden by the
 * config's; PATH and HOSTNAME defaulted; working dir from the config, else the image,
 * else "/"; user from run_as_user/run_as_group/run_as_username, else the image's User.
 */
export async function processSpec(config: runtime.ContainerConfig, image: ResolvedImage): Promise<ProcessSpec> {
  let command = [...config.command];
  let args = [...config.args];
  if (command.length === 0) {
    if (args.length === 0) args = [...image.config.cmd];
    const entrypoint = image.config.entrypoint;
    if (!(entrypoint.length === 1 && entrypoint[0] === '')) command = [...entrypoint];
  }
  const argv = [...command, ...args];
  if (argv.length === 0) throw invalidArgument(`no command specified: the container config has none and image "${image.repoTags[0] ?? image.id}" gives none`);

  const env = new Map<string, string>();
  for (const entry of image.config.env) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const { key, value } of config.envs) {
    if (key === '' || key.includes('=') || key.includes('\0') || value.includes('\0')) throw invalidArgument(`invalid environment variable name "${key}"`);
    env.set(key, value);
  }
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  if (!env.has('HOSTNAME')) env.set('HOSTNAME', hostname());

  const workingDir = posix.resolve('/', config.workingDir || image.config.workingDir || '/');
  const user = await resolveUser(config.linux?.securityContext, image);
  return { argv, env: [...env].map(([k, v]) => `${k}=${v}`), workingDir, user };
}

async function resolveUser(
  context: runtime.LinuxContainerSecurityContext | undefined,
  image: ResolvedImage,
): Promise<{ uid: number; gid: number } | undefined> {
  const uidValue = context?.runAsUser?.value;
  const gidValue = context?.runAsGroup?.value;
  if (uidValue !== undefined) {
    const uid = Number(uidValue);
    const gid = gidValue !== undefined ? Number(gidValue) : ((await lookupPasswd(image.rootfs, (e) => e.uid === uid))?.gid ?? 0);
    return checkIds(uid, gid);
  }
  const name = context?.runAsUsername || image.config.user;
  if (!name) return gidValue === undefined ? undefined : checkIds(process.getuid?.() ?? 0, Number(gidValue));
  const [userPart = '', groupPart] = name.split(':');
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    gid = (await lookupPasswd(image.rootfs, (e) => e.uid === uid))?.gid;
  } else {
    const entry = await lookupPasswd(image.rootfs, (e) => e.name === userPart);
    if (!entry) throw invalidArgument(`user "${userPart}" not found in ${posix.join(image.rootfs, 'etc/passwd')}`);
    uid = entry.uid;
    gid = entry.gid;
  }
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const group = await lookupGroup(image.rootfs, groupPart);
      if (group === undefined) throw invalidArgument(`group "${groupPart}" not found in ${posix.join(image.rootfs, 'etc/group')}`);
      gid = group;
    }
  }
  if (gidValue !== undefined) gid = Number(gidValue);
  return checkIds(uid, gid ?? 0);
}

function checkIds(uid: number, gid: number): { uid: number; gid: number } {
  if (!Number.isSafeInteger(uid) || uid < 0 || uid > 0xffffffff) throw invalidArgument(`invalid uid ${uid}`);
  if (!Number.isSafeInteger(gid) || gid < 0 || gid > 0xffffffff) throw invalidArgument(`invalid gid ${gid}`);
  return { uid, gid };
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

async function lookupPasswd(rootfs: string, match: (e: PasswdEntry) => boolean): Promise<PasswdEntry | undefined> {
  const text = await readFile(await secureJoin(rootfs, '/etc/passwd'), 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === undefined || uid === undefined || gid === undefined) continue;
    const entry = { name, uid: Number(uid), gid: Number(gid) };
    if (match(entry)) return entry;
  }
  return undefined;
}

async function lookupGroup(rootfs: string, name: string): Promise<number | undefined> {
  const text = await readFile(await secureJoin(rootfs, '/etc/group'), 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [groupName, , gid] = line.split(':');
    if (groupName === name && gid !== undefined) return Number(gid);
  }
  return undefined;
}

/**
 * Finds the executable as exec would in the container (argv[0] with a slash relative to
 * the working dir, else each PATH entry), so a missing command fails StartContainer
 * with runc's message instead of a container that exits 127. `toHost` maps a path in
 * the container to the host (through the rootfs and the container's bind mounts).
 */
export async function checkExecutable(spec: ProcessSpec, toHost: (path: string) => Promise<string>, where: string): Promise<void> {
  const command = spec.argv[0] ?? '';
  const isExecutable = async (path: string) => {
    const host = await toHost(path);
    try {
      const info = await stat(host);
      if (!info.isFile()) return false;
      await access(host, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const suffix = where === '/' ? '' : ` in ${where}`;
  if (command.includes('/')) {
    const path = posix.resolve(spec.workingDir, command);
    if (await isExecutable(path)) return;
    throw failedPrecondition(`exec: "${command}": stat ${path}: no such executable file${suffix}`);
  }
  const pathVar = spec.env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of pathVar.split(':')) {
    if (await isExecutable(posix.resolve(spec.workingDir, dir || '.', command))) return;
  }
  throw failedPrecondition(`exec: "${command}": executable file not found in $PATH${suffix}`);
}
