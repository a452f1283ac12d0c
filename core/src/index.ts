// The agent as a library: for embedding it and for cross-process tests.
export { ADMISSION_MODULES, Agent, createAgent, FEATURE_MODULES, type AgentDependencies } from './agent/agent.js';
export { AdmissionChain } from './admission/admission-chain.js';
export { PodStore } from './pods/pod-store.js';
export { NodeStatus } from './node/node-status.js';
export { PluginRegistry, type PluginState, type PluginView } from './plugin-registry/plugin-registry.js';
export { PluginReadiness, type MissingPlugin } from './plugin-registry/plugin-readiness.js';
export { DebugServer } from './http/debug-server.js';
export { HostApiServer } from './host-api/host-api-server.js';
export { createLogger, type Logger } from './logging/logger.js';
export { AgentMetrics, MetricsRegistry } from './metrics/metrics.js';
export * from './config/index.js';
export * from './extension-points/index.js';
export { Contributions } from './extension-points/contributions.js';
export * from './machine/index.js';
export * from './topology/index.js';
export { PLUGIN_NODE_FLAGS } from './supervisor/plugin-supervisor.js';
