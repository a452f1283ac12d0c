/** Helpers shared by the SDK's socket tests (not exported from the package). */
import { join } from 'node:path';

/** Runs fn with TMPDIR pointing at a missing directory under base: whatever it puts in the temp directory fails. */
export async function withoutTmpdir<T>(base: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env['TMPDIR'];
  process.env['TMPDIR'] = join(base, 'no-such-tmp');
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = saved;
  }
}
