#!/usr/bin/env node
import { servePlugin } from '@kernelet/sdk';
import { httpSourcePlugin } from './plugin.js';

// --root-dir DIR (or $KERNELET_ROOT_DIR) names the agent's root directory.
await servePlugin(httpSourcePlugin);
