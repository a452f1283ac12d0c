import { join } from 'node:path';
import type { AgentOptions } from '../config/agent-options.js';

/** Where the agent's CRI runtime is, and whether the agent must start it itself. */
export interface RuntimeEndpoints {
  /** The RuntimeService endpoint as configured (unix:///path). */
  runtimeEndpoint: string;
  /** The ImageService endpoint; the runtime endpoint when not configured separately. */
  imageEndpoint: string;
  /** Set when the operator named no runtime: the agent starts its embedded runtime here. */
  embedded?: EmbeddedRuntimePaths;
}

export interface EmbeddedRuntimePaths {
  socketPath: string;
  rootDir: string;
  logFile: string;
}

/** The embedded runtime's directory under the agent's root dir. */
export function embeddedRuntimePaths(rootDir: string): EmbeddedRuntimePaths {
  const dir = join(rootDir, 'kernelet', 'embedded-runtime');
  return { socketPath: join(dir, 'runtime.sock'), rootDir: dir, logFile: join(dir, 'runtime.log') };
}

/**
 * The runtime the agent talks to: the configured containerRuntimeEndpoint when the operator
 * set one (config file, drop-in or flag), else kernelet's embedded runtime on a socket under
 * the root dir. imageServiceEndpoint defaults to the runtime endpoint, as upstream.
 */
export function resolveRuntimeEndpoints(options: Pick<AgentOptions, 'kubelet' | 'explicitFields' | 'flags'>): RuntimeEndpoints {
  const explicitImage = options.explicitFields.has('imageServiceEndpoint') ? options.kubelet.imageServiceEndpoint : undefined;
  if (options.explicitFields.has('containerRuntimeEndpoint')) {
    const runtimeEndpoint = options.kubelet.containerRuntimeEndpoint;
    return { runtimeEndpoint, imageEndpoint: explicitImage || runtimeEndpoint };
  }
  const embedded = embeddedRuntimePaths(options.flags.rootDir);
  const runtimeEndpoint = `unix://${embedded.socketPath}`;
  return { runtimeEndpoint, imageEndpoint: explicitImage || runtimeEndpoint, embedded };
}

/** The socket path of a unix endpoint: "unix:///run/x.sock" or a bare "/run/x.sock" (deprecated upstream). */
export function unixSocketPath(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return endpoint.slice('unix://'.length);
  if (endpoint.startsWith('/')) return endpoint;
  throw new Error(`unsupported container runtime endpoint "${endpoint}" (want unix:///path/to/socket)`);
}
