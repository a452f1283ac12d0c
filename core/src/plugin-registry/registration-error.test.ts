import { describe, expect, it } from 'vitest';
import { noHandlerError, registrationError, validationError } from './registration-error.js';

// Upstream's plugin manager words these; plugins and tools match on the exact text.
describe('registration errors', () => {
  it.each([
    ['no handler for the type', noHandlerError('CSIPlugin', '/r/x.sock'), 'RegisterPlugin error -- no handler registered for plugin type: CSIPlugin at socket /r/x.sock'],
    ['no handler for an empty type', noHandlerError('', '/r/x.sock'), 'RegisterPlugin error -- no handler registered for plugin type:  at socket /r/x.sock'],
    ['validation failed', validationError('bad name'), 'RegisterPlugin error -- plugin validation failed with err: bad name'],
    ['registration failed', registrationError('Configure failed: no'), 'RegisterPlugin error -- plugin registration failed with err: Configure failed: no'],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });
});
