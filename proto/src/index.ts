// Generated message codecs and gRPC service definitions, one namespace per proto package.
// Several upstream packages share a short proto package name ("v1", "v1beta1"), so each
// gets a namespace named after its API instead. In the upstream-compatible APIs every
// int64/uint64 field is a bigint; in kernelet's own (v1alpha1) it is a number.
export * as pluginregistration from './pluginregistration.js';
export * as v1alpha1 from './kernelet-v1alpha1.js';
// CRI runtime v1 (proto package runtime.v1).
export * as runtime from './runtime-v1.js';
// Device plugin v1beta1 (proto package v1beta1).
export * as deviceplugin from './deviceplugin-v1beta1.js';
// Pod resources v1 (proto package v1).
export * as podresources from './podresources-v1.js';
// DRA kubelet plugin API (proto packages k8s.io.kubelet.pkg.apis.dra.v1beta1 and .v1).
export * as dra from './dra-v1beta1.js';
export * as drav1 from './dra-v1.js';
// DRA device health (proto packages v1alpha1 and v1).
export * as drahealthv1alpha1 from './dra-health-v1alpha1.js';
export * as drahealthv1 from './dra-health-v1.js';
