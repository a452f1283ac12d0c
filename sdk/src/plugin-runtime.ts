import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';

// tsyringe's own constructor type, which it does not export.
type Constructor<T> = new (...args: any[]) => T; // eslint-disable-line @typescript-eslint/no-explicit-any
import { v1alpha1 } from '@kernelet/proto';
import { parseMachineInfo, type MachineInfo } from './common/index.js';
import type {
  AdmitHandlerImpl,
  Handler,
  HandlerLifecycle,
  HintProviderImpl,
  PluginContext,
  PluginDefinition,
  PodSourceImpl,
  StatusFuncImpl,
} from './define-plugin.js';
import { connectHost, type HostClient } from './host-client.js';
import type { Logger } from './logger.js';
import { PodSourceHub } from './pod-source-hub.js';
import { HOST, LOGGER, PLUGIN_CONTEXT } from './tokens.js';

export class NotConfiguredError extends Error {
  override readonly name = 'NotConfiguredError';
}

interface Active {
  ctx: PluginContext;
  /** Every distinct handler instance, for init/dispose. */
  instances: HandlerLifecycle[];
  admitHandler?: AdmitHandlerImpl;
  hintProvider?: HintProviderImpl;
  statusFunc?: StatusFuncImpl;
  stopSource?: () => unknown;
}

/**
 * A plugin's configured state: the context built from the agent's Configure request
 * and the handler instances made for it. A repeated Configure with the same request
 * changes nothing; a different one builds new handlers and retires the old ones.
 */
export class PluginRuntime {
  readonly pods = new PodSourceHub();
  private active: Active | undefined;
  private activeKey: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private packedHints = false;

  constructor(
    readonly definition: PluginDefinition,
    private readonly logger: Logger,
  ) {}

  get context(): PluginContext | undefined {
    return this.active?.ctx;
  }

  /** The agent that configured the plugin reads ResourceHints.packed. */
  get agentReadsPackedHints(): boolean {
    return this.packedHints;
  }

  configure(request: v1alpha1.ConfigureRequest): Promise<void> {
    const run = this.queue.then(() => this.apply(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  require<K extends 'admitHandler' | 'hintProvider' | 'statusFunc'>(kind: K): { handler: NonNullable<Active[K]>; ctx: PluginContext } {
    const handler = this.active?.[kind];
    if (!this.active || !handler) throw new NotConfiguredError(`plugin ${this.definition.name} has not been configured by the agent yet`);
    return { handler: handler as NonNullable<Active[K]>, ctx: this.active.ctx };
  }

  async close(): Promise<void> {
    await this.queue;
    await this.retire(this.active);
    this.active = undefined;
    this.activeKey = undefined;
  }

  private async apply(request: v1alpha1.ConfigureRequest): Promise<void> {
    const key = Buffer.from(v1alpha1.ConfigureRequest.encode(request).finish()).toString('base64');
    if (key === this.activeKey) return;
    const host = request.hostEndpoint ? connectHost(request.hostEndpoint, request.callTimeoutMs || 2000) : missingHost();
    const ctx: PluginContext = {
      name: this.definition.name,
      kubeletConfig: parseObject(request.kubeletConfigJson, 'kubelet_config_json'),
      pluginConfig: request.pluginConfigJson ? JSON.parse(request.pluginConfigJson) : {},
      nodeName: request.nodeName,
      rootDir: request.rootDir,
      machine: parseMachine(request.machineJson),
      host,
      logger: this.logger,
      callTimeoutMs: request.callTimeoutMs,
      featureGates: request.featureGates,
    };
    const scope = rootContainer.createChildContainer();
    scope.register(PLUGIN_CONTEXT, { useValue: ctx });
    scope.register(LOGGER, { useValue: this.logger });
    scope.register(HOST, { useValue: host });
    const def = this.definition;
    const next: Active = {
      ctx,
      instances: [],
      ...optional('admitHandler', def.admitHandler && instantiate(scope, def.admitHandler)),
      ...optional('hintProvider', def.hintProvider && instantiate(scope, def.hintProvider)),
      ...optional('statusFunc', def.statusFunc && instantiate(scope, def.statusFunc)),
    };
    next.instances = [...new Set([next.admitHandler, next.hintProvider, next.statusFunc])].filter(
      (h): h is NonNullable<typeof h> => h !== undefined,
    ) as HandlerLifecycle[];
    try {
      for (const instance of next.instances) await instance.init?.();
      await def.configure?.(ctx);
    } catch (error) {
      await this.retire(next);
      throw error;
    }
    const previous = this.active;
    this.active = next;
    this.activeKey = key;
    this.packedHints = request.readsPackedHints;
    await this.retire(previous);
    if (def.podSource) {
      const source: PodSourceImpl = instantiate(scope, def.podSource);
      const stop = await source.run(this.pods, ctx);
      if (stop) next.stopSource = stop;
    }
    this.logger.info({ nodeName: ctx.nodeName }, 'plugin configured');
  }

  private async retire(active: Active | undefined): Promise<void> {
    if (!active) return;
    try {
      await active.stopSource?.();
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'stopping the pod source failed');
    }
    for (const instance of active.instances) {
      try {
        await instance.dispose?.();
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'disposing a handler failed');
      }
    }
    active.ctx.host.close();
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function instantiate<T>(scope: DependencyContainer, handler: Handler<T>): T {
  if (typeof handler !== 'function') return handler;
  const cls = handler as unknown as Constructor<T>;
  if (!scope.isRegistered(cls)) scope.registerSingleton(cls);
  return scope.resolve(cls);
}

function parseObject(json: string, field: string): Record<string, unknown> {
  if (!json) return {};
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${field} is not a JSON object`);
  return value as Record<string, unknown>;
}

function parseMachine(json: string): MachineInfo | undefined {
  return json ? parseMachineInfo(JSON.parse(json), 'machine_json') : undefined;
}

function missingHost(): HostClient {
  const fail = () => Promise.reject(new Error('the agent did not provide a Host API endpoint'));
  return { listPods: fail, terminatePod: fail, close: () => undefined };
}
