import 'reflect-metadata';

export * from './common/index.js';
export {
  admit,
  definePlugin,
  isPluginDefinition,
  reject,
  servicesOf,
  type AdmitDecision,
  type AdmitHandlerImpl,
  type Handler,
  type HandlerLifecycle,
  type HintProviderImpl,
  type NodeStatusReport,
  type PluginContext,
  type PluginDefinition,
  type PluginSpec,
  type PodSink,
  type PodSourceImpl,
  type StatusFuncImpl,
} from './define-plugin.js';
export { defineResourceManagerPlugin, type ResourceManager, type ResourceManagerPluginSpec } from './resource-manager-plugin.js';
export { servePlugin, KERNELET_PLUGIN_TYPE, type RegistrationStatus, type ServePluginOptions, type ServedPlugin } from './serve-plugin.js';
export { connectHost, type HostClient, type HostPod, type HostPodList, type TerminatePodOptions } from './host-client.js';
export { createPluginLogger, type Logger } from './logger.js';
export { writeFileAtomic } from './write-file-atomic.js';
export { HOST, LOGGER, PLUGIN_CONTEXT } from './tokens.js';
export { injectable, inject, singleton } from 'tsyringe';
