#!/usr/bin/env node
import { servePlugin } from '@kernelet/sdk';
import { cpuManagerPlugin } from './plugin.js';

// --root-dir DIR (or $KERNELET_ROOT_DIR): the agent's root directory, where cpu_manager_state lives.
await servePlugin(cpuManagerPlugin);
