import type { pluginregistration } from '@kernelet/proto';
import { ADMIT_HANDLER_SERVICE } from '../extension-points/admit-handler.js';
import { HINT_PROVIDER_SERVICE } from '../extension-points/hint-provider.js';
import { POD_SOURCE_SERVICE } from '../extension-points/pod-source.js';
import { STATUS_FUNC_SERVICE } from '../extension-points/status-func.js';
import { noHandlerError, validationError } from './registration-error.js';

/** The registration type of plugins implementing kernelet's extension points. */
export const KERNELET_PLUGIN_TYPE = 'KerneletPlugin';

export const SUPPORTED_SERVICES: readonly string[] = [ADMIT_HANDLER_SERVICE, HINT_PROVIDER_SERVICE, POD_SOURCE_SERVICE, STATUS_FUNC_SERVICE];

/** Kubernetes-style names: lower-case alphanumerics, '-' and '.', at most 63 characters. */
const PLUGIN_NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;

export type PluginInfoCheck =
  | { ok: true; name: string; type: string; services: string[]; endpoint: string }
  | { ok: false; name: string; type: string; reason: string };

/** Validates a plugin's GetInfo answer; the reason is what NotifyRegistrationStatus(false) carries. */
export function checkPluginInfo(info: pluginregistration.PluginInfo, socketPath: string): PluginInfoCheck {
  const { type, name } = info;
  if (type !== KERNELET_PLUGIN_TYPE) {
    return { ok: false, name, type, reason: noHandlerError(type, socketPath) };
  }
  if (!PLUGIN_NAME.test(name)) {
    return { ok: false, name, type, reason: validationError(`invalid plugin name ${JSON.stringify(name)}: want lower-case alphanumerics, '-' and '.', at most 63 characters`) };
  }
  const services = info.supportedVersions.filter((v) => SUPPORTED_SERVICES.includes(v));
  if (services.length === 0) {
    return {
      ok: false,
      name,
      type,
      reason: validationError(`none of the supported versions [${info.supportedVersions.join(', ')}] is served by this agent (it serves ${SUPPORTED_SERVICES.join(', ')})`),
    };
  }
  const endpoint = info.endpoint || socketPath;
  if (!endpoint.startsWith('/')) {
    return { ok: false, name, type, reason: validationError(`endpoint ${JSON.stringify(info.endpoint)} is not an absolute unix socket path`) };
  }
  return { ok: true, name, type, services: [...new Set(services)], endpoint };
}
