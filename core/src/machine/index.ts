export * from './load-machine-info.js';
export * from './read-sysfs-machine.js';
export * from './check-machine-info.js';
