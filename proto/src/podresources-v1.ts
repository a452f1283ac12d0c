export * from './generated/podresources/v1/api.js';
