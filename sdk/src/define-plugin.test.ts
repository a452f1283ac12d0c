import { describe, expect, it } from 'vitest';
import { admit, definePlugin, isPluginDefinition, servicesOf } from './define-plugin.js';

describe('definePlugin', () => {
  it('derives the advertised services from the handlers present', () => {
    const plugin = definePlugin({ name: 'both', admitHandler: { admit: () => admit() }, statusFunc: { getNodeStatus: () => ({}) } });
    expect(servicesOf(plugin)).toEqual(['v1alpha1.AdmitHandler', 'v1alpha1.StatusFunc']);
    expect(isPluginDefinition(plugin)).toBe(true);
    // A definition spread into a variant (`{ ...base, name: 'other' }`) is still one.
    expect(isPluginDefinition({ ...plugin, name: 'other' })).toBe(true);
    expect(isPluginDefinition({ name: 'lookalike', admitHandler: plugin.admitHandler })).toBe(false);
  });

  it.each([
    ['a bad name', { name: 'Bad Name', admitHandler: { admit: () => admit() } }, 'invalid name "Bad Name"'],
    ['no extension point', { name: 'idle' }, 'definePlugin(idle): implements no extension point'],
  ])('fails at once for %s', (_n, spec, message) => {
    expect(() => definePlugin(spec)).toThrow(message);
  });
});
