export { cpuManagerPlugin } from './plugin.js';
export { CpuManager, type CpuManagerMetrics, type CpuManagerOptions } from './cpu-manager.js';
export {
  CpuManagerConfigError,
  CpuManagerStateError,
  SMTAlignmentError,
  SMT_ALIGNMENT_ERROR,
  StaleStateError,
  StateFileError,
  StateValidationError,
  UNEXPECTED_ADMISSION_ERROR,
} from './errors.js';
export {
  parseCpuManagerConfig,
  CPU_MANAGER_POLICIES,
  type CpuManagerConfig,
  type CpuManagerPolicyName,
  type KubeletCpuManagerFields,
} from './config/cpu-manager-config.js';
export { CPU_MANAGER_FEATURE_GATES, parseFeatureGates, type FeatureGates } from './config/feature-gates.js';
export { STATIC_POLICY_OPTIONS, type StaticPolicyOptions } from './policy/policy-options.js';
export type { Policy } from './policy/policy.js';
export { NonePolicy, POLICY_NONE } from './policy/policy-none.js';
export { StaticPolicy, POLICY_STATIC } from './policy/policy-static.js';
export { CPU_MANAGER_STATE_FILE, CheckpointState } from './state/checkpoint-state.js';
export { MemoryState, type ContainerCPUAssignments, type State, type StateReader } from './state/state.js';
export { decodeCheckpoint, encodeCheckpoint, checksumV1, checksumV2, type RestoredCheckpoint } from './state/checkpoint.js';
export { CPUTopology, type CPUInfo } from './topology/cpu-topology.js';
export { CPUAllocationError, takeByTopologyNUMADistributed, takeByTopologyNUMAPacked } from './topology/cpu-assignment.js';
