export * from './generated/pluginregistration/v1/api.js';
