export { startEmbeddedRuntime, type CloseOptions, type EmbeddedRuntimeOptions, type EmbeddedRuntimeServer } from './server.js';
export { ensureEmbeddedRuntime, type EnsureEmbeddedRuntimeOptions, type EnsuredRuntime } from './ensure.js';
export { PID_FILE, RootDirOwnedError } from './root-dir-lock.js';
export { probeVersion } from './probe.js';
export { importImage, ImportError, type ImportImageOptions, type ImportedImage } from './oci-import.js';
export { DEFAULT_CGROUP_ROOT, DEFAULT_LOG_FILE, DEFAULT_ROOT_DIR, DEFAULT_SOCKET_PATH, DEFAULT_STOP_GRACE_MS } from './defaults.js';
export { RUNTIME_API_VERSION, RUNTIME_NAME } from './runtime.js';
export { MAX_LOG_LINE_BYTES } from './cri-log.js';
