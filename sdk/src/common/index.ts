// Pure helpers shared by the agent and plugins: no I/O, no container.
export * from './quantity.js';
export * from './cpuset.js';
export * from './machine.js';
export * from './k8s-types.js';
export * from './qos.js';
export * from './pod-requests.js';
export * from './numa-mask.js';
export * from './hint-masks.js';
export * from './topology-hint.js';
export * from './wire.js';
export * from './fnv.js';
export * from './duration.js';
export * from './manifest-documents.js';
export * from './pod-defaults.js';
export * from './pod-validation.js';
export * from './static-pod.js';
