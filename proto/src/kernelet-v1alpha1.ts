export * from './generated/kernelet/v1alpha1/types.js';
export * from './generated/kernelet/v1alpha1/plugin.js';
export * from './generated/kernelet/v1alpha1/admit_handler.js';
export * from './generated/kernelet/v1alpha1/hint_provider.js';
export * from './generated/kernelet/v1alpha1/pod_source.js';
export * from './generated/kernelet/v1alpha1/status_func.js';
export * from './generated/kernelet/v1alpha1/host.js';
