import { constants } from 'node:os';
import { runtime } from '@kernelet/proto';
import { invalidArgument } from './errors.js';

const SIGNALS = constants.signals as Record<string, number | undefined>;

/** The exit code a shell reports for a process killed by this signal: 128 + its number. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (SIGNALS[signal] ?? 0);
}

/**
 * The signal that stops a container: the config's stop_signal, else the image's
 * StopSignal ("SIGQUIT", "QUIT" or "3"), else SIGTERM.
 */
export function stopSignalFor(configured: runtime.Signal, imageStopSignal: string): runtime.Signal {
  if (configured !== runtime.Signal.RUNTIME_DEFAULT) {
    toNodeSignal(configured);
    return configured;
  }
  if (imageStopSignal !== '') {
    const text = imageStopSignal.toUpperCase();
    const name = /^\d+$/.test(text)
      ? Object.keys(SIGNALS).find((n) => SIGNALS[n] === Number(text))
      : text.startsWith('SIG')
        ? text
        : `SIG${text}`;
    const value = name === undefined ? runtime.Signal.UNRECOGNIZED : runtime.signalFromJSON(name);
    if (value !== runtime.Signal.UNRECOGNIZED && value !== runtime.Signal.RUNTIME_DEFAULT && name !== undefined && SIGNALS[name] !== undefined) return value;
  }
  return runtime.Signal.SIGTERM;
}

/** The Node name of a CRI signal; refuses the ones Linux (as Node knows it) has no name for. */
export function toNodeSignal(signal: runtime.Signal): NodeJS.Signals {
  if (signal === runtime.Signal.RUNTIME_DEFAULT) return 'SIGTERM';
  const name = runtime.signalToJSON(signal);
  if (SIGNALS[name] === undefined) throw invalidArgument(`stop signal ${name} is not supported on this host`);
  return name as NodeJS.Signals;
}
