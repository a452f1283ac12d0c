import type { InjectionToken } from 'tsyringe';
import type { PluginContext } from './define-plugin.js';
import type { HostClient } from './host-client.js';
import type { Logger } from './logger.js';

/** What a class handler's constructor can @inject(...). */
export const PLUGIN_CONTEXT: InjectionToken<PluginContext> = Symbol('PluginContext');
export const LOGGER: InjectionToken<Logger> = Symbol('Logger');
export const HOST: InjectionToken<HostClient> = Symbol('HostClient');
