export * from './generated/dra/v1beta1/api.js';
