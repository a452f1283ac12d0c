// Go durations ("1m30s") are parsed once, in the shared library plugins use too.
export {
  DurationError,
  canonicalDuration,
  formatDuration,
  formatDurationNanos,
  msToNanos,
  nanosToMs,
  parseDuration,
  parseDurationNanos,
} from '@kernelet/sdk/common';
