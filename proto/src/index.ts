// Generated message codecs and gRPC service definitions, one namespace per proto package.
export * as pluginregistration from './pluginregistration.js';
export * as v1alpha1 from './kernelet-v1alpha1.js';
