/**
 * preloadedImagesVerificationAllowlist entries, checked as the kubelet checks them: an image name
 * without tag or digest, or a prefix ending in a whole-segment wildcard "/*" ("registry.io/team/*").
 */

/** Why `pattern` is not a valid allowlist entry, or undefined when it is. */
export function imagePatternProblem(pattern: string): string | undefined {
  if (pattern !== pattern.trim()) return 'leading or trailing spaces are not allowed';
  const wildcard = pattern.endsWith('/*');
  const name = wildcard ? pattern.slice(0, -1) : pattern;
  if (name === '') return 'the pattern is empty';
  if (name.includes('*')) return 'the only wildcard allowed is a trailing "/*"';
  if (wildcard) return name === '/' ? 'a wildcard needs at least the registry host before "/*"' : undefined;
  if (pattern.includes('@')) return 'an image digest is not allowed, name the image only';
  const segments = pattern.split('/');
  const last = segments[segments.length - 1] ?? '';
  if (last.includes(':')) return 'an image tag is not allowed, name the image only';
  const [first = '', ...rest] = segments;
  const host = segments.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (host && !/^[A-Za-z0-9.-]+(:[0-9]+)?$/.test(first)) return `"${first}" is not a valid registry host`;
  for (const segment of host ? rest : segments) {
    if (!/^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/.test(segment)) return `"${segment}" is not a valid lowercase path component`;
  }
  return undefined;
}
