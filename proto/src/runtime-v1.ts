export * from './generated/runtime/v1/api.js';
