export * from './kubelet-configuration.js';
export * from './agent-options.js';
export * from './load-config.js';
