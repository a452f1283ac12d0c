export * from './topology-manager.js';
export * from './merge-hints.js';
export * from './numa-info.js';
export * from './policy.js';
export * from './policy-options.js';
export * from './scope.js';
export * from './topology-config-error.js';
export type { ClosureStrategy } from './and-closure.js';
