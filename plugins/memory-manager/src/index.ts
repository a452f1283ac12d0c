export { memoryManagerPlugin } from './plugin.js';
export { MemoryManager, ALLOCATION_FAILURE_REASON, type ActivePod, type MemoryManagerOptions } from './memory-manager.js';
export {
  ConfigProblem,
  MemoryManagerConfigError,
  POLICY_NONE,
  POLICY_STATIC,
  parseMemoryManagerConfig,
  type MemoryManagerConfig,
  type PolicyName,
} from './config.js';
export { validateReservedMemory, validateReservedMemoryNUMANodes } from './reserved-memory.js';
export {
  MemoryManagerStateError,
  PolicyMismatchError,
  StaleStateError,
  StateFileError,
  StateWriteError,
  type StaleAssignment,
} from './state/errors.js';
export { STATE_FILE_NAME, parseCheckpoint, serializeCheckpoint, type Checkpoint } from './state/checkpoint-state.js';
export type { Block, MemoryTable, NUMANodeMap, NUMANodeState } from './state/memory-state.js';
