/** Helpers shared by the CLI tests (not exported from the package). */
import { vi } from 'vitest';

/** Captures what the code under test writes to stdout and stderr (restored by vi.restoreAllMocks). */
export function captureOutput(): { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  return { stdout: () => out, stderr: () => err };
}
