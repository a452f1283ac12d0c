/** Where the agent finds the embedded runtime unless configured otherwise. */
export const DEFAULT_SOCKET_PATH = '/run/kernelet/embedded-runtime.sock';
/** The runtime's state and image store (outlives the agent, like /var/lib/containerd). */
export const DEFAULT_ROOT_DIR = '/var/lib/kernelet-embedded-runtime';
/** Where a runtime started by ensureEmbeddedRuntime writes its logs. */
export const DEFAULT_LOG_FILE = '/var/log/kernelet-embedded-runtime.log';
/** Parent cgroup (under each controller) of containers whose sandbox names none. */
export const DEFAULT_CGROUP_ROOT = 'kernelet';
/** On SIGTERM, containers get their stop signal, then SIGKILL after this long. */
export const DEFAULT_STOP_GRACE_MS = 5000;
