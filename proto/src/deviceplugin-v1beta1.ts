export * from './generated/deviceplugin/v1beta1/api.js';
