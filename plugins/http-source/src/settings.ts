import { parseDuration, type Logger } from '@kernelet/sdk';

/** Upstream's default httpCheckFrequency. */
export const DEFAULT_HTTP_CHECK_FREQUENCY_MS = 20_000;
/** Upstream's client timeout for the manifest URL. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface HttpSourceSettings {
  /** staticPodURL; undefined when the node reads no static pods from a URL. */
  url: URL | undefined;
  /** staticPodURLHeader: each name with its values in order. */
  headers: Readonly<Record<string, readonly string[]>>;
  checkFrequencyMs: number;
  /** The plugin's own `requestTimeout` (Go duration, default "10s"): the whole request, body included. */
  requestTimeoutMs: number;
}

/** The plugin's own settings, from the kernelet configuration's entry for http-source. */
export interface HttpSourcePluginConfig {
  requestTimeout?: string;
}

/** Reads the HTTP source's settings from the agent's configuration, once, at the edge. */
export function httpSourceSettings(kubeletConfig: Readonly<Record<string, unknown>>, pluginConfig: unknown, logger: Logger): HttpSourceSettings {
  return {
    url: staticPodURL(kubeletConfig['staticPodURL'], logger),
    headers: headerMap(kubeletConfig['staticPodURLHeader'], logger),
    checkFrequencyMs: duration(kubeletConfig['httpCheckFrequency'], 'httpCheckFrequency', DEFAULT_HTTP_CHECK_FREQUENCY_MS, logger),
    requestTimeoutMs: duration((pluginConfig as HttpSourcePluginConfig | undefined)?.requestTimeout, 'requestTimeout', DEFAULT_REQUEST_TIMEOUT_MS, logger),
  };
}

function staticPodURL(value: unknown, logger: Logger): URL | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    logger.error({ staticPodURL: typeof value === 'string' ? redactURL(value) : value }, 'staticPodURL is not an http or https URL; reading no static pods from a URL');
    return undefined;
  }
  return url;
}

function headerMap(value: unknown, logger: Logger): Record<string, string[]> {
  if (value === undefined || value === null) return {};
  const headers: Record<string, string[]> = {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    logger.warn({}, 'staticPodURLHeader is not a map of header names to lists of values; sending no headers');
    return headers;
  }
  for (const [name, values] of Object.entries(value as Record<string, unknown>)) {
    const list = Array.isArray(values) ? values : [values];
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || list.some((v) => typeof v !== 'string' || /[\r\n\0]/.test(v))) {
      logger.warn({ header: name }, 'staticPodURLHeader has an invalid header name or value; header not sent');
      continue;
    }
    headers[name] = list as string[];
  }
  return headers;
}

function duration(value: unknown, field: string, defaultMs: number, logger: Logger): number {
  if (value === undefined || value === null || value === '') return defaultMs;
  try {
    const ms = typeof value === 'string' ? parseDuration(value) : Number.NaN;
    if (ms > 0) return ms;
  } catch {
    // reported below
  }
  logger.warn({ [field]: value, defaultMs }, `invalid ${field}; using the default`);
  return defaultMs;
}

/** The URL as logs may show it: without user and password. */
export function redactURL(url: string | URL): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = 'redacted';
      parsed.password = '';
    }
    return parsed.href;
  } catch {
    return '(unparsable URL)';
  }
}
