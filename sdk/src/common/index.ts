// Pure helpers shared by the agent and plugins: no I/O, no container.
export * from './quantity.js';
export * from './cpuset.js';
