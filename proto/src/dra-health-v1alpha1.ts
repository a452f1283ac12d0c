export * from './generated/dra-health/v1alpha1/api.js';
