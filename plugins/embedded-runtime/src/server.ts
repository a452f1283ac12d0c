import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { runtime } from '@kernelet/proto';
import { CriService } from './cri-service.js';
import { DEFAULT_CGROUP_ROOT, DEFAULT_STOP_GRACE_MS } from './defaults.js';
import { findHostTool } from './host-tools.js';
import { createRuntimeLogger, type Logger } from './logger.js';
import { probeVersion } from './probe.js';
import { RootDirLock } from './root-dir-lock.js';
import { EmbeddedRuntime } from './runtime.js';

export interface EmbeddedRuntimeOptions {
  /** The unix socket to serve CRI on. */
  socketPath: string;
  /**
   * State and image store. The server owns it while it runs (it holds the lock on
   * <rootDir>/embedded-runtime.pid, which names its pid); starting fails while another
   * live runtime owns it.
   */
  rootDir: string;
  /** Parent cgroup of containers whose sandbox names none (default "kernelet"). */
  cgroupRoot?: string;
  /** "off" runs containers without cgroups (default "auto": every usable controller). */
  cgroups?: 'auto' | 'off';
  logger?: Logger;
}

export interface CloseOptions {
  /** Stop every container first (stop signal, then SIGKILL after graceMs). Default true. */
  stopContainers?: boolean;
  graceMs?: number;
}

export interface EmbeddedRuntimeServer {
  readonly socketPath: string;
  readonly rootDir: string;
  readonly runtime: EmbeddedRuntime;
  /** Stops serving, removes the socket and gives the root dir up. */
  close(options?: CloseOptions): Promise<void>;
}

/** Unix socket addresses hold at most 107 bytes of path. */
const MAX_UNIX_PATH = 107;
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Serves the CRI RuntimeService and ImageService of the embedded runtime on a unix
 * socket, in this process. The daemon (bin kernelet-embedded-runtime) is this plus
 * signal handling; tests use it directly.
 */
export async function startEmbeddedRuntime(options: EmbeddedRuntimeOptions): Promise<EmbeddedRuntimeServer> {
  const logger = options.logger ?? createRuntimeLogger();
  const { socketPath } = options;
  if (Buffer.byteLength(socketPath) > MAX_UNIX_PATH) throw new Error(`socket path ${socketPath} is longer than ${MAX_UNIX_PATH} bytes`);
  // Before the socket: a socket that does not answer may belong to a live runtime on this
  // root dir that is only slow, and must not be taken from it.
  const lock = await RootDirLock.acquire(options.rootDir, { flock: await findHostTool('flock') });
  let rt: EmbeddedRuntime;
  try {
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o755 });
    const existing = await lstat(socketPath).catch(() => undefined);
    if (existing) {
      if (!existing.isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
      if (await probeVersion(socketPath, 500)) throw new Error(`another runtime already serves ${socketPath}`);
      await rm(socketPath, { force: true });
    }
    rt = await EmbeddedRuntime.open({
      rootDir: options.rootDir,
      logger,
      cgroupRoot: options.cgroupRoot ?? DEFAULT_CGROUP_ROOT,
      cgroups: options.cgroups ?? 'auto',
    });
  } catch (err) {
    lock.release();
    throw err;
  }
  const cri = new CriService(rt, logger);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  server.addService(runtime.RuntimeServiceService, cri.runtimeService());
  server.addService(runtime.ImageServiceService, cri.imageService());
  try {
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
    );
    await chmod(socketPath, 0o660);
  } catch (err) {
    await rt.shutdown({ stopContainers: false, graceMs: 0 });
    lock.release();
    throw err;
  }
  logger.info({ socket: socketPath, root: options.rootDir }, 'embedded runtime serving');

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    rootDir: options.rootDir,
    runtime: rt,
    close(closeOptions: CloseOptions = {}) {
      closing ??= (async () => {
        await rt.shutdown({
          stopContainers: closeOptions.stopContainers ?? true,
          graceMs: closeOptions.graceMs ?? DEFAULT_STOP_GRACE_MS,
        });
        cri.endStreams();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, 2000);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        await rm(socketPath, { force: true });
        lock.release();
        logger.info({ socket: socketPath }, 'embedded runtime stopped');
      })();
      return closing;
    },
  };
}
