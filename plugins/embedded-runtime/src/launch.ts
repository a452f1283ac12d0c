import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { HostTools } from './host-tools.js';
import type { BindMount } from './records.js';

/** How to run one process in a container's context. */
export interface LaunchSpec {
  argv: readonly string[];
  /** KEY=value; the process gets exactly these. */
  env: readonly string[];
  /** "/" runs on the host root; anything else is chrooted into. */
  rootfs: string;
  /** Inside rootfs. */
  workingDir: string;
  user: { uid: number; gid: number } | undefined;
  /** A private mount namespace with these steps (rootfs containers). */
  mountSetup?: MountSetup;
  /** Join the mount namespace of this process instead (exec into a rootfs container). */
  joinMountNamespaceOf?: number;
}

export interface MountSetup {
  readonlyRootfs: boolean;
  /** Host /dev, /sys (read-only) and a proc mount inside the rootfs. */
  systemMounts: boolean;
  bindMounts: readonly BindMount[];
}

/** The setup script's exit code when something fails before the container command runs. */
export const SETUP_FAILED_EXIT = 125;

/**
 * The wrapper every container process starts as. It waits on fd 3 until the runtime has
 * put its pid into the container's cgroups (so the command never runs a single
 * instruction outside them), performs mount steps in its private mount namespace and
 * changes directory, reports "started" (or the failing step's stderr) on fd 3, closes
 * fd 3, and execs the command. The pid stays the same throughout.
 */
export function setupScript(mount: string): string {
  const m = shellQuote(mount);
  return [
    `read -r go <&3 || exit ${SETUP_FAILED_EXIT}`,
    'while [ "$1" != -- ]; do',
    '  case "$1" in',
    `    bind) ${m} --rbind "$2" "$3" 2>&3 || exit ${SETUP_FAILED_EXIT}; shift 3 ;;`,
    `    ro) ${m} -o remount,bind,ro "$2" 2>&3 || exit ${SETUP_FAILED_EXIT}; shift 2 ;;`,
    `    proc) ${m} -t proc proc "$2" 2>&3 || exit ${SETUP_FAILED_EXIT}; shift 2 ;;`,
    `    cd) cd -P -- "$2" 2>&3 || exit ${SETUP_FAILED_EXIT}; shift 2 ;;`,
    `    *) echo "unknown setup step $1" >&3; exit ${SETUP_FAILED_EXIT} ;;`,
    '  esac',
    'done',
    'shift',
    'unset PWD OLDPWD',
    'echo started >&3',
    'exec 3>&-',
    'exec "$@"',
  ].join('\n');
}

/** Variables the shell sets itself (dash rewrites these even when inherited). */
const SHELL_MANAGED = new Set(['PWD', 'OLDPWD', 'PPID', 'IFS', 'OPTIND', 'PS1', 'PS2', 'PS4', 'ENV', 'LINENO']);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * True when the wrapper shell hands this environment to the command unchanged: every
 * name is a shell identifier the shell does not manage. Otherwise (a Kubernetes env
 * name like "app.port", or PWD) the command runs under `env -i` with the exact list.
 */
export function passesThroughShell(env: readonly string[]): boolean {
  return env.every((entry) => {
    const name = entry.slice(0, entry.indexOf('='));
    return IDENTIFIER.test(name) && !SHELL_MANAGED.has(name);
  });
}

/**
 * The argv and environment that run a spec: [unshare --mount | nsenter --mount] sh
 * (setup) [env -i ...] [unshare --root --wd --setuid] command. Each layer execs the
 * next, so the container's pid is the spawned one. The common host-root container is
 * just sh → command; the extra layers appear only when needed.
 */
export function buildCommand(spec: LaunchSpec, tools: HostTools): { file: string; args: string[]; env: Record<string, string> } {
  const steps: string[] = [];
  const setup = spec.mountSetup;
  if (setup) {
    const root = spec.rootfs;
    if (setup.readonlyRootfs) steps.push('bind', root, root, 'ro', root);
    if (setup.systemMounts) {
      steps.push('bind', '/dev', `${root}/dev`);
      steps.push('proc', `${root}/proc`);
      steps.push('bind', '/sys', `${root}/sys`, 'ro', `${root}/sys`);
    }
    for (const mount of setup.bindMounts) {
      steps.push('bind', mount.source, mount.target);
      if (mount.readonly) steps.push('ro', mount.target);
    }
  }
  const chroot = spec.rootfs !== '/';
  let command: string[];
  if (chroot || spec.user) {
    command = [
      tools.unshare,
      ...(chroot ? ['--root', spec.rootfs] : []),
      '--wd',
      spec.workingDir,
      ...(spec.user ? ['--setgid', String(spec.user.gid), '--setuid', String(spec.user.uid)] : []),
      '--',
      ...spec.argv,
    ];
  } else {
    steps.push('cd', spec.workingDir);
    command = [...spec.argv];
  }
  const direct = passesThroughShell(spec.env);
  if (!direct) command = [tools.env, '-i', '--', ...spec.env, ...command];
  const wrapper = [tools.sh, '-c', setupScript(tools.mount), 'kernelet-init', ...steps, '--', ...command];
  let prefix: string[] = [];
  if (setup) prefix = [tools.unshare, '--mount', '--propagation', 'private', '--'];
  else if (spec.joinMountNamespaceOf !== undefined) prefix = [tools.nsenter, '--target', String(spec.joinMountNamespaceOf), '--mount', '--'];
  const all = [...prefix, ...wrapper];
  const env: Record<string, string> = {};
  if (direct) {
    for (const entry of spec.env) {
      const eq = entry.indexOf('=');
      env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else {
    env['PATH'] = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  }
  return { file: all[0] as string, args: all.slice(1), env };
}

export class LaunchError extends Error {
  override readonly name = 'LaunchError';
}

export interface RawExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A container process spawned and held before its command runs: the caller moves it into
 * cgroups, then release()s it. It leads its own session and process group.
 */
export class HeldProcess {
  readonly pid: number;
  readonly exit: Promise<RawExit>;
  private readonly control: Socket;

  private constructor(readonly child: ChildProcess) {
    this.pid = child.pid as number;
    this.control = child.stdio[3] as Socket;
    this.control.on('error', () => undefined);
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static spawn(spec: LaunchSpec, tools: HostTools, stdout: number | 'pipe', stderr: number | 'pipe'): Promise<HeldProcess> {
    const { file, args, env } = buildCommand(spec, tools);
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(file, args, {
          stdio: ['ignore', stdout, stderr, 'pipe'],
          detached: true,
          cwd: '/',
          env,
        });
      } catch (err) {
        reject(new LaunchError(`cannot start ${file}: ${(err as Error).message}`, { cause: err }));
        return;
      }
      if (child.pid === undefined) {
        child.once('error', (err) => reject(new LaunchError(`cannot start ${file}: ${err.message}`, { cause: err })));
        return;
      }
      child.on('error', () => undefined);
      resolve(new HeldProcess(child));
    });
  }

  /** Lets the command run; resolves once it is about to exec, rejects with the setup's error output. */
  release(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let output = '';
      let settled = false;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.control.off('data', onData);
        this.control.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output === 'started\n' || output.endsWith('\nstarted\n')) finish();
      };
      const onClose = () => finish(new LaunchError(output.trim() || 'the container process exited before its command started'));
      const timer = setTimeout(() => finish(new LaunchError(`the container process did not start within ${timeoutMs}ms`)), timeoutMs);
      this.control.on('data', onData);
      this.control.on('close', onClose);
      this.control.write('go\n');
    });
  }

  /** Closes the runtime's end of the control channel. */
  detach(): void {
    this.control.destroy();
  }
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
