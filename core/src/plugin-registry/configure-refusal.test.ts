import { describe, expect, it } from 'vitest';
import { isConfigurationRefusal } from './configure-refusal.js';

describe('isConfigurationRefusal', () => {
  it.each([
    ['FAILED_PRECONDITION', true],
    ['INVALID_ARGUMENT', true],
    ['UNAVAILABLE', false],
    ['DEADLINE_EXCEEDED', false],
    ['INTERNAL', false],
    ['UNIMPLEMENTED', false],
    ['CANCELLED', false],
  ])('%s → %s', (code, refusal) => expect(isConfigurationRefusal(code)).toBe(refusal));
});
