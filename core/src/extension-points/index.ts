export * from './admit-handler.js';
export * from './hint-provider.js';
export * from './pod-source.js';
export * from './status-func.js';
