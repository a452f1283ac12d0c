import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The import rule of the architecture: plugins and the SDK never import the core,
// and the core never imports a plugin.
const noCore = {
  patterns: [{ group: ['@kernelet/core', '@kernelet/core/*'], message: 'Plugins and the SDK talk to the core only over the wire (proto/).' }],
};
const noPlugins = {
  patterns: [
    { group: ['@kernelet/plugin-*', '@kernelet/example-*'], message: 'The core knows plugins only through the extension points.' },
    { group: ['**/plugins/**', '**/examples/**'], message: 'The core knows plugins only through the extension points.' },
  ],
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'proto/src/generated/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  { files: ['plugins/**/*.ts', 'sdk/**/*.ts', 'examples/**/*.ts', 'proto/**/*.ts'], rules: { 'no-restricted-imports': ['error', noCore] } },
  { files: ['core/**/*.ts'], rules: { 'no-restricted-imports': ['error', noPlugins] } },
  { files: ['test/**/*.ts', 'scripts/**'], rules: { 'no-console': 'off' } },
);
