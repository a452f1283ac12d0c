import { lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pluginregistration, v1alpha1 } from '@kernelet/proto';
import { podToWire } from './common/index.js';
import { bindUnixSocket, MAX_UNIX_PATH } from '@kernelet/proto/transport';
import { servicesOf, type PluginDefinition } from './define-plugin.js';
import { createPluginLogger, type Logger } from './logger.js';
import { PluginFailure, unary } from './grpc-handlers.js';
import { admitHandlerService } from './admit-handler-service.js';
import { CallStreamServer } from './call-stream-server.js';
import { hintProviderService } from './hint-provider-service.js';
import { PluginRuntime } from './plugin-runtime.js';

export const KERNELET_PLUGIN_TYPE = 'KerneletPlugin';

export interface ServePluginOptions {
  /** The agent's --root-dir; defaults to $KERNELET_ROOT_DIR, then a --root-dir argument, then /var/lib/kubelet. */
  rootDir?: string;
  /** Overrides <rootDir>/plugins_registry/<name>.sock. */
  socketPath?: string;
  logger?: Logger;
  /** Stop serving and remove the socket on SIGTERM/SIGINT, then exit (default true). */
  handleSignals?: boolean;
}

export interface RegistrationStatus {
  registered: boolean;
  error: string;
}

export interface ServedPlugin {
  readonly name: string;
  readonly socketPath: string;
  /** The agent's latest verdict, once it has given one. */
  readonly registration: RegistrationStatus | undefined;
  onRegistrationStatus(listener: (status: RegistrationStatus) => void): () => void;
  close(): Promise<void>;
}

const SOCKET_CHECK_MS = 2000;

/**
 * Serves a plugin: creates its socket in the agent's plugins_registry, answers the
 * registration handshake (GetInfo advertises exactly the extension points the
 * definition implements), handles Configure, serves the handlers, recreates the
 * socket if it is removed while serving, and removes it on shutdown.
 */
export async function servePlugin(definition: PluginDefinition, options: ServePluginOptions = {}): Promise<ServedPlugin> {
  const rootDir = options.rootDir ?? process.env['KERNELET_ROOT_DIR'] ?? argValue('--root-dir') ?? '/var/lib/kubelet';
  const socketPath = options.socketPath ?? join(rootDir, 'plugins_registry', `${definition.name}.sock`);
  const logger = options.logger ?? createPluginLogger(definition.name);
  const runtime = new PluginRuntime(definition, logger);
  const listeners = new Set<(status: RegistrationStatus) => void>();
  let registration: RegistrationStatus | undefined;

  const server = new grpc.Server();
  server.addService(pluginregistration.RegistrationService, {
    getInfo: unary(() => ({
      type: KERNELET_PLUGIN_TYPE,
      name: definition.name,
      endpoint: socketPath,
      supportedVersions: servicesOf(definition),
    })),
    notifyRegistrationStatus: unary((status: pluginregistration.RegistrationStatus) => {
      registration = { registered: status.pluginRegistered, error: status.error };
      if (status.pluginRegistered) logger.info({}, 'registered with the agent');
      else logger.error({ reason: status.error }, 'the agent refused the registration');
      for (const listener of listeners) listener(registration);
      return {};
    }),
  } satisfies pluginregistration.RegistrationServer);
  server.addService(v1alpha1.PluginService, {
    configure: unary(async (request: v1alpha1.ConfigureRequest) => {
      try {
        await runtime.configure(request);
      } catch (error) {
        throw new PluginFailure(grpc.status.FAILED_PRECONDITION, (error as Error).message);
      }
      return { pid: process.pid };
    }),
  } satisfies v1alpha1.PluginServer);
  const callStreams = new CallStreamServer();
  addHandlerServices(server, definition, runtime, callStreams);

  let boundAddress = await bindSocket(server, socketPath, logger);
  let identity = await socketIdentity(socketPath);
  logger.info({ socket: socketPath, services: servicesOf(definition) }, 'plugin serving');

  const watchdog = setInterval(() => {
    void (async () => {
      const now = await socketIdentity(socketPath);
      if (now === identity || identity === undefined) return;
      if (now === undefined) {
        logger.warn({ socket: socketPath }, 'registration socket was removed; creating it again');
        // grpc-js keeps a bound address until it is unbound, so rebinding it alone would not listen again.
        server.unbind(boundAddress);
        boundAddress = await bindSocket(server, socketPath, logger);
        identity = await socketIdentity(socketPath);
      } else {
        logger.warn({ socket: socketPath }, 'registration socket was replaced by another process; no longer watching it');
        identity = undefined;
      }
    })().catch((error: Error) => logger.error({ err: error.message }, 'cannot recreate the registration socket'));
  }, SOCKET_CHECK_MS);
  watchdog.unref();

  let closing: Promise<void> | undefined;
  const served: ServedPlugin = {
    name: definition.name,
    socketPath,
    get registration() {
      return registration;
    },
    onRegistrationStatus(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closing ??= (async () => {
        clearInterval(watchdog);
        if (identity !== undefined && (await socketIdentity(socketPath)) === identity) await rm(socketPath, { force: true });
        callStreams.endAll();
        await shutdownServer(server);
        await runtime.close();
        await definition.shutdown?.();
        servedPlugins.delete(served);
        logger.info('plugin stopped');
      })();
      return closing;
    },
  };
  servedPlugins.add(served);
  if (options.handleSignals ?? true) installSignalHandlers(logger);
  return served;
}

/** The extension-point services, each only when the definition implements it. */
function addHandlerServices(server: grpc.Server, definition: PluginDefinition, runtime: PluginRuntime, streams: CallStreamServer): void {
  if (definition.admitHandler) server.addService(v1alpha1.AdmitHandlerService, admitHandlerService(runtime, streams));
  if (definition.hintProvider) server.addService(v1alpha1.HintProviderService, hintProviderService(runtime, streams));
  if (definition.statusFunc) {
    server.addService(v1alpha1.StatusFuncService, {
      getNodeStatus: unary(async (request: v1alpha1.GetNodeStatusRequest) => {
        const { handler, ctx } = runtime.require('statusFunc');
        const report = await handler.getNodeStatus(request.nodeName, ctx);
        return {
          capacity: { ...report.capacity },
          allocatable: { ...report.allocatable },
          conditions: (report.conditions ?? []).map((c) => ({ ...c })),
        };
      }),
    } satisfies v1alpha1.StatusFuncServer);
  }
  if (definition.podSource) {
    const source = (typeof definition.podSource === 'function' ? undefined : definition.podSource.source) ?? definition.name;
    const ops = { SET: v1alpha1.PodOperation.SET, ADD: v1alpha1.PodOperation.ADD, UPDATE: v1alpha1.PodOperation.UPDATE, REMOVE: v1alpha1.PodOperation.REMOVE };
    server.addService(v1alpha1.PodSourceService, {
      watchPods: (call: grpc.ServerWritableStream<v1alpha1.WatchPodsRequest, v1alpha1.PodUpdate>) => {
        const unsubscribe = runtime.pods.watch((op, pods) => {
          call.write({ op: ops[op], pods: pods.map(podToWire), source });
        });
        const end = () => unsubscribe();
        call.on('cancelled', end);
        call.on('close', end);
        call.on('error', end);
      },
    } satisfies v1alpha1.PodSourceServer);
  }
}

/**
 * Binds the server to the socket path (replacing a stale socket, never another kind of file)
 * and returns the address it bound; see bindUnixSocket for paths too long for a unix address.
 */
async function bindSocket(server: grpc.Server, socketPath: string, logger: Logger): Promise<string> {
  const existing = await lstat(socketPath).catch(() => undefined);
  if (existing && !existing.isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
  const address = await bindUnixSocket(server, socketPath);
  if (Buffer.byteLength(socketPath) > MAX_UNIX_PATH) {
    logger.warn(
      { socket: socketPath, bytes: Buffer.byteLength(socketPath), limit: MAX_UNIX_PATH },
      'socket path is longer than a unix address allows; bound in its directory under a short name and renamed into place',
    );
  }
  return address;
}

async function socketIdentity(path: string): Promise<string | undefined> {
  const stat = await lstat(path).catch(() => undefined);
  return stat?.isSocket() ? `${stat.dev}:${stat.ino}` : undefined;
}

function shutdownServer(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 2000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

const servedPlugins = new Set<ServedPlugin>();
let signalsInstalled = false;

/** Stops every plugin this process serves (each removes its socket), for a process that is about to exit. */
export async function closeServedPlugins(): Promise<void> {
  await Promise.allSettled([...servedPlugins].map((p) => p.close()));
}

function installSignalHandlers(logger: Logger): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping plugins');
    void closeServedPlugins().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function argValue(flag: string): string | undefined {
  const args = process.argv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === flag) return args[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}
