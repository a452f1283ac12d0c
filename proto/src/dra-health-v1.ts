export * from './generated/dra-health/v1/api.js';
