import { describe, expect, it } from 'vitest';
import { expectedBack, SOCKET_REMOVED, type PluginState } from './plugin-registry.js';

describe('expectedBack', () => {
  it.each<{ name: string; wasRegistered: boolean; state: PluginState; lostReason: string | null; expected: boolean }>([
    { name: 'registered now', wasRegistered: true, state: 'registered', lostReason: null, expected: false },
    { name: 'never registered', wasRegistered: false, state: 'failed', lostReason: null, expected: false },
    { name: 'crashed: its connection was lost', wasRegistered: true, state: 'disconnected', lostReason: 'connection lost: the plugin does not answer', expected: true },
    { name: 'crashed and reconnecting', wasRegistered: true, state: 'registering', lostReason: 'connection lost: the plugin does not answer', expected: true },
    { name: 'restarted on a new socket', wasRegistered: true, state: 'registering', lostReason: 'socket replaced', expected: true },
    { name: 'stopped gracefully, the dropped connection seen before the watcher', wasRegistered: true, state: 'disconnected', lostReason: SOCKET_REMOVED, expected: false },
  ])('$name: $expected', ({ wasRegistered, state, lostReason, expected }) => {
    expect(expectedBack({ wasRegistered, state, lostReason })).toBe(expected);
  });
});
