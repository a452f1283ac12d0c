/**
 * Reads the documents of a manifest (YAML, JSON, or several YAML documents separated by
 * `---`) into plain JSON values, refusing input built to exhaust the reader: more than
 * MAX_MANIFEST_BYTES (upstream's limit for static pod files and URLs), alias expansion ("billion
 * laughs"), nesting deeper than MAX_MANIFEST_DEPTH, and YAML with more than MAX_YAML_TOKENS
 * tokens — the YAML parser needs seconds per megabyte, so a manifest far larger than any pod
 * would stall the process reading it. JSON is read natively and only the byte limit applies.
 *
 * YAML is read as the kubelet reads it: YAML 1.1 scalars (yes/no are booleans, 0777 is octal),
 * later duplicate keys win, and timestamps and sexagesimal numbers stay text.
 */
import { Lexer, parseAllDocuments, type Tags } from 'yaml';

/** Upstream's maxConfigLength: the most a static pod file or URL response may hold. */
export const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;
/** Deeper than any pod (about 10 levels); refuses pathological nesting. */
export const MAX_MANIFEST_DEPTH = 100;
/** About 400 KiB of dense YAML: dozens of pods; refused beyond, in well under a second. */
export const MAX_YAML_TOKENS = 100_000;
/** The yaml package's limit on alias expansion. */
export const MAX_YAML_ALIASES = 100;

export interface ManifestDocument {
  /** 1-based position of the document in the input. */
  index: number;
  value: unknown;
}

export interface ManifestReadError {
  /** The document the error is in, when it is in one. */
  document?: number;
  message: string;
}

export interface ManifestDocuments {
  documents: ManifestDocument[];
  errors: ManifestReadError[];
}

/** Reads every non-empty document; errors name the document and the problem, and the others are still read. */
export function readManifestDocuments(text: string): ManifestDocuments {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_MANIFEST_BYTES) {
    return fail(`is ${bytes} bytes, more than the ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB a manifest may hold`);
  }
  const trimmed = text.trim();
  if (trimmed === '') return fail('is empty');
  if (trimmed.startsWith('{')) {
    const json = readJson(trimmed);
    if (json) return json;
  }
  return readYaml(text);
}

function fail(message: string): ManifestDocuments {
  return { documents: [], errors: [{ message }] };
}

function readJson(text: string): ManifestDocuments | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // YAML flow style also starts with "{"; let the YAML reader judge it.
  }
  const depth = depthOf(value);
  if (depth > MAX_MANIFEST_DEPTH) return fail(`is nested ${depth} levels deep, more than the ${MAX_MANIFEST_DEPTH} allowed`);
  return { documents: [{ index: 1, value }], errors: [] };
}

/** The YAML 1.1 schema without the tags that turn text into dates or base-60 numbers. */
function kubeletTags(tags: Tags): Tags {
  return tags.filter((tag) => {
    const t = tag as { tag?: string; format?: string };
    return t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME';
  });
}

function readYaml(text: string): ManifestDocuments {
  const guard = scanYaml(text);
  if (guard) return fail(guard);
  const parsed = parseAllDocuments(text, { version: '1.1', uniqueKeys: false, customTags: kubeletTags, prettyErrors: true });
  if (!Array.isArray(parsed)) return fail('could not be read as YAML');
  const result: ManifestDocuments = { documents: [], errors: [] };
  parsed.forEach((doc, i) => {
    const index = i + 1;
    if (doc.errors.length > 0) {
      result.errors.push({ document: index, message: `is not valid YAML: ${firstLine(doc.errors[0]?.message ?? 'unknown error')}` });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (error) {
      const message = (error as Error).message;
      result.errors.push({
        document: index,
        message: /alias/i.test(message) ? `expands too many YAML aliases (more than ${MAX_YAML_ALIASES}); refused as a possible YAML bomb` : `is not valid YAML: ${firstLine(message)}`,
      });
      return;
    }
    if (value === null || value === undefined) return; // an empty document between separators
    const depth = depthOf(value);
    if (depth > MAX_MANIFEST_DEPTH) {
      result.errors.push({ document: index, message: `is nested ${depth} levels deep, more than the ${MAX_MANIFEST_DEPTH} allowed` });
      return;
    }
    result.documents.push({ index, value });
  });
  if (result.documents.length === 0 && result.errors.length === 0) result.errors.push({ message: 'holds no document (only comments or separators)' });
  return result;
}

/**
 * One pass of the YAML lexer, before any parsing: counts tokens against the budget and the
 * depth of flow collections ([..] and {..}), which the parser handles recursively.
 */
function scanYaml(text: string): string | undefined {
  let tokens = 0;
  let depth = 0;
  for (const token of new Lexer().lex(text)) {
    if (++tokens > MAX_YAML_TOKENS) return `has more than ${MAX_YAML_TOKENS} YAML tokens; a pod manifest is far smaller (split it, or write it as JSON)`;
    if (token === '[' || token === '{') {
      if (++depth > MAX_MANIFEST_DEPTH) return `nests YAML collections more than ${MAX_MANIFEST_DEPTH} levels deep`;
    } else if ((token === ']' || token === '}') && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

/** How deeply a JSON value nests (a scalar is 0), counted without recursion; stops past the limit. */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== 'object' || item === null) continue;
    const here = depth + 1;
    if (here > max) max = here;
    if (max > MAX_MANIFEST_DEPTH) return max;
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, here]);
  }
  return max;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
