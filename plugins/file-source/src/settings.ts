import { parseDuration, type Logger } from '@kernelet/sdk';

/** Upstream's default fileCheckFrequency. */
export const DEFAULT_FILE_CHECK_FREQUENCY_MS = 20_000;

export interface FileSourceSettings {
  /** staticPodPath without trailing slashes; undefined when the node reads no static pod files. */
  path: string | undefined;
  /** How often the path is listed again, whatever the watch reported. */
  checkFrequencyMs: number;
}

/** Reads the file source's settings from the agent's KubeletConfiguration, once, at the edge. */
export function fileSourceSettings(kubeletConfig: Readonly<Record<string, unknown>>, logger: Logger): FileSourceSettings {
  const rawPath = kubeletConfig['staticPodPath'];
  let path: string | undefined;
  if (typeof rawPath === 'string' && rawPath !== '') path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') || '/' : rawPath;
  else if (rawPath !== undefined && rawPath !== '') logger.warn({ staticPodPath: rawPath }, 'staticPodPath is not a string; reading no static pod files');
  return { path, checkFrequencyMs: frequency(kubeletConfig['fileCheckFrequency'], logger) };
}

function frequency(value: unknown, logger: Logger): number {
  if (value === undefined || value === null || value === '') return DEFAULT_FILE_CHECK_FREQUENCY_MS;
  try {
    const ms = typeof value === 'string' ? parseDuration(value) : Number.NaN;
    if (ms > 0) return ms;
  } catch {
    // reported below
  }
  logger.warn({ fileCheckFrequency: value, defaultMs: DEFAULT_FILE_CHECK_FREQUENCY_MS }, 'invalid fileCheckFrequency; using the default');
  return DEFAULT_FILE_CHECK_FREQUENCY_MS;
}
