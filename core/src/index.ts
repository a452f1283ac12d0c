export * from './machine/index.js';
export * from './topology/index.js';
