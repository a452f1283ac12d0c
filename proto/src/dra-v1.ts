export * from './generated/dra/v1/api.js';
