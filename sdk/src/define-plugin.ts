import type {
  AllocateResult,
  AllocationList,
  MachineInfo,
  Pod,
  ProviderHints,
  TopologyHint,
} from './common/index.js';
import type { HostClient } from './host-client.js';
import type { Logger } from './logger.js';

/** What a plugin knows about the node once the agent has configured it. */
export interface PluginContext {
  readonly name: string;
  /** The agent's merged KubeletConfiguration (kubelet.config.k8s.io/v1beta1 JSON). */
  readonly kubeletConfig: Readonly<Record<string, unknown>>;
  /** This plugin's own settings from the kernelet configuration ({} when none). */
  readonly pluginConfig: unknown;
  readonly nodeName: string;
  readonly rootDir: string;
  /** The machine topology, when the agent knows it. */
  readonly machine: MachineInfo | undefined;
  /** The agent's Host API: list pods, terminate a pod. */
  readonly host: HostClient;
  readonly logger: Logger;
  /** The deadline the agent applies to each call into this plugin. */
  readonly callTimeoutMs: number;
  /** The effective value of every feature gate the agent knows, defaults included. */
  readonly featureGates: Readonly<Record<string, boolean>>;
}

export type AdmitDecision = { admit: true } | { admit: false; reason: string; message: string };

export function admit(): AdmitDecision {
  return { admit: true };
}

/** A rejection; reason is a CamelCase word as upstream uses (e.g. "SysctlForbidden"). */
export function reject(reason: string, message: string): AdmitDecision {
  return { admit: false, reason, message };
}

type Awaitable<T> = T | Promise<T>;

export interface AdmitHandlerImpl {
  admit(pod: Pod, ctx: PluginContext): Awaitable<AdmitDecision>;
}

export interface HintProviderImpl {
  getTopologyHints(pod: Pod, containerName: string, ctx: PluginContext): Awaitable<ProviderHints>;
  getPodTopologyHints(pod: Pod, ctx: PluginContext): Awaitable<ProviderHints>;
  allocate(pod: Pod, containerName: string, hint: TopologyHint, ctx: PluginContext): Awaitable<AllocateResult>;
  removeContainer(podUID: string, containerName: string, ctx: PluginContext): Awaitable<void>;
  /** Everything handed out, and what containers without an allocation of their own get. */
  listAllocations(ctx: PluginContext): Awaitable<AllocationList>;
}

/** Where a pod source puts what it finds; the SDK replays the current set to every watcher. */
export interface PodSink {
  /** The source's complete current set of pods. */
  set(pods: readonly Pod[]): void;
  add(pods: readonly Pod[]): void;
  update(pods: readonly Pod[]): void;
  remove(pods: readonly Pod[]): void;
}

export interface PodSourceImpl {
  /** The source name the agent records ("file", "http", ...); defaults to the plugin name. */
  readonly source?: string;
  /** Starts producing pods into the sink; returns how to stop. */
  run(sink: PodSink, ctx: PluginContext): Awaitable<(() => Awaitable<void>) | void>;
}

export interface NodeStatusReport {
  capacity?: Readonly<Record<string, string>>;
  allocatable?: Readonly<Record<string, string>>;
  conditions?: readonly { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string }[];
}

export interface StatusFuncImpl {
  getNodeStatus(nodeName: string, ctx: PluginContext): Awaitable<NodeStatusReport>;
}

/**
 * A handler is an object, or a class the SDK instantiates (with tsyringe, so its
 * constructor can @inject(PLUGIN_CONTEXT), LOGGER or HOST) each time the agent
 * configures the plugin with a new configuration. One class named for several
 * extension points is instantiated once. A handler instance may have lifecycle hooks:
 * `init()` runs once it is built, before the plugin answers Configure (throw to refuse
 * the registration; the message reaches the operator), and `dispose()` runs when a new
 * configuration or shutdown retires it.
 */
export type Handler<T> = T | (new (...args: never[]) => T);

export interface HandlerLifecycle {
  init?(): Awaitable<void>;
  dispose?(): Awaitable<void>;
}

export interface PluginSpec {
  /** Kebab-case; also the socket name: plugins_registry/<name>.sock. */
  name: string;
  version?: string;
  /** Called on every Configure with a new configuration; throw to refuse registration (the message reaches the operator). */
  configure?(ctx: PluginContext): Awaitable<void>;
  admitHandler?: Handler<AdmitHandlerImpl>;
  hintProvider?: Handler<HintProviderImpl>;
  podSource?: Handler<PodSourceImpl>;
  statusFunc?: Handler<StatusFuncImpl>;
  /** Called once when the plugin stops serving. */
  shutdown?(): Awaitable<void>;
}

const PLUGIN_DEFINITION = Symbol.for('kernelet.plugin-definition');

export type PluginDefinition = PluginSpec & { readonly [PLUGIN_DEFINITION]: true };

const NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;

/** Declares a plugin; fails at once, naming the problem, when the declaration cannot work. */
export function definePlugin(spec: PluginSpec): PluginDefinition {
  if (!NAME.test(spec.name)) {
    throw new Error(`definePlugin: invalid name ${JSON.stringify(spec.name)}: want lower-case alphanumerics, '-' and '.', at most 63 characters`);
  }
  if (!spec.admitHandler && !spec.hintProvider && !spec.podSource && !spec.statusFunc) {
    throw new Error(`definePlugin(${spec.name}): implements no extension point (admitHandler, hintProvider, podSource or statusFunc)`);
  }
  return Object.freeze({ ...spec, [PLUGIN_DEFINITION]: true as const });
}

export function isPluginDefinition(value: unknown): value is PluginDefinition {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_DEFINITION] === true;
}

/** The services a definition serves, as advertised in GetInfo's supported_versions. */
export function servicesOf(spec: PluginSpec): string[] {
  return [
    ...(spec.admitHandler ? ['v1alpha1.AdmitHandler'] : []),
    ...(spec.hintProvider ? ['v1alpha1.HintProvider'] : []),
    ...(spec.podSource ? ['v1alpha1.PodSource'] : []),
    ...(spec.statusFunc ? ['v1alpha1.StatusFunc'] : []),
  ];
}
