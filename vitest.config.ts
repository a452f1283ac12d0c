import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code they test; cross-process tests live in test/.
// Both run against sources for the package under test and against built
// packages (dist/) for everything they spawn, so `npm run build` comes first.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{core,sdk,proto,plugins/*,examples/*}/src/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 20_000,
          // expect.poll gives up after 1 s by default: too short for a socket or a stream to come
          // up on a loaded CI machine. A poll still ends as soon as its condition holds.
          expect: { poll: { timeout: 10_000 } },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/src/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
