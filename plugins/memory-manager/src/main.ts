#!/usr/bin/env node
import { servePlugin } from '@kernelet/sdk';
import { memoryManagerPlugin } from './plugin.js';

// --root-dir DIR (or $KERNELET_ROOT_DIR): the agent's root directory, where memory_manager_state lives.
await servePlugin(memoryManagerPlugin);
