import type { RuntimeEndpoints as Endpoints } from './runtime-endpoint.js';

/** Where the runtime is (resolved once from the configuration). */
export const RuntimeEndpoints = Symbol('RuntimeEndpoints');
export type RuntimeEndpoints = Endpoints;
