/**
 * Turns a parsed KubeletConfiguration document into typed JSON values, checking every field
 * against the v1beta1 schema and reporting each problem with its field path.
 *
 * Unknown and duplicate fields follow the kubelet:
 * - config file (--config): the kubelet decodes strictly, and when only strictness fails
 *   (unknown or duplicate fields) it decodes again leniently and logs the strict error.
 *   So both are warnings; unknown fields are ignored, the last duplicate wins.
 * - drop-in (--config-dir): decoded strictly with no lenient retry, so a duplicate field is an
 *   error. The kubelet then merges it as JSON (a JSON merge patch) into its configuration and
 *   decodes the result with Go's encoding/json: unknown fields are ignored silently, `null`
 *   removes a field, and a name that matches a field only ignoring case is kept under its own
 *   spelling (merge.ts settles which spelling wins). We warn about unknown and case-folded names.
 * Type errors (a string where a number belongs, a bad duration) fail the load in both cases.
 */
import * as path from 'node:path';
import { Quantity } from '@kernelet/sdk/common';
import { canonicalDuration, DurationError } from './duration.js';
import { describeValue, isJsonObject, type JsonObject, type JsonValue } from './json-value.js';
import { childPath, keyPath, type ProblemList } from './problem.js';
import {
  fieldByName,
  fieldByNameIgnoringCase,
  KUBELET_API_VERSION,
  KUBELET_CONFIGURATION_FIELDS,
  KUBELET_KIND,
  type FieldSpec,
  type FieldType,
} from './schema.js';

export type DecodeMode = 'config' | 'dropin';

export interface DecodeContext {
  mode: DecodeMode;
  /** Where the document came from, for messages. */
  source: string;
  /** Directory relative paths in the document resolve against. */
  baseDir: string;
  problems: ProblemList;
  /** Inside a list item (set while decoding lists). */
  inList?: boolean;
}

/** Checks apiVersion and kind, then decodes every field. Returns the typed fields that were set. */
export function decodeKubeletConfiguration(document: JsonObject, context: DecodeContext): JsonObject {
  checkTypeMeta(document, context);
  const out: JsonObject = {};
  decodeStructFields(document, KUBELET_CONFIGURATION_FIELDS, '', out, context, ['apiVersion', 'kind']);
  return out;
}

function checkTypeMeta(document: JsonObject, context: DecodeContext): void {
  const { problems, source } = context;
  const kind = document['kind'];
  const apiVersion = document['apiVersion'];
  if (kind === undefined || kind === null || kind === '') {
    problems.add('kind', `missing; a ${describeSource(context)} must say kind: ${KUBELET_KIND} (${source})`);
  } else if (kind !== KUBELET_KIND) {
    problems.add('kind', `${JSON.stringify(kind)} is not ${KUBELET_KIND} (${source})`);
  }
  if (apiVersion === undefined || apiVersion === null || apiVersion === '') {
    problems.add('apiVersion', `missing; a ${describeSource(context)} must say apiVersion: ${KUBELET_API_VERSION} (${source})`);
  } else if (apiVersion !== KUBELET_API_VERSION) {
    problems.add('apiVersion', `${JSON.stringify(apiVersion)} is not supported, want ${KUBELET_API_VERSION} (${source})`);
  }
}

function describeSource(context: DecodeContext): string {
  return context.mode === 'dropin' ? 'drop-in file' : 'configuration file';
}

function decodeStructFields(
  input: JsonObject,
  fields: readonly FieldSpec[],
  parentPath: string,
  out: JsonObject,
  context: DecodeContext,
  ignore: readonly string[] = [],
): void {
  for (const [key, raw] of Object.entries(input)) {
    if (ignore.includes(key)) continue;
    let spec = fieldByName(fields, key);
    const fieldPath = childPath(parentPath, key);
    if (spec === undefined && context.mode === 'dropin') {
      spec = fieldByNameIgnoringCase(fields, key);
      if (spec !== undefined) {
        context.problems.warn(
          fieldPath,
          `matches "${childPath(parentPath, spec.name)}" only ignoring case: as in the kubelet, it applies unless a spelling that sorts after it sets the field too (${context.source})`,
        );
      }
    }
    if (spec === undefined) {
      context.problems.warn(fieldPath, `unknown field, ignored as the kubelet does (${context.source})`);
      continue;
    }
    if (raw === null || raw === undefined) {
      // In a config file null leaves the field unset, as Go's decoder does; in a drop-in it is a
      // merge-patch removal, kept so the merge can apply it.
      if (context.mode === 'dropin' && !context.inList && raw === null && key === spec.name) out[key] = null;
      continue;
    }
    const value = decodeValue(raw, spec.type, childPath(parentPath, spec.name), context);
    if (value === undefined) continue;
    out[key] = spec.path && typeof value === 'string' ? resolvePath(value, context.baseDir) : value;
  }
}

function decodeValue(raw: JsonValue, type: FieldType, fieldPath: string, context: DecodeContext): JsonValue | undefined {
  const fail = (want: string): undefined => {
    context.problems.add(fieldPath, `expected ${want}, got ${describeValue(raw)}${quoteHint(raw, type)} (${context.source})`);
    return undefined;
  };
  switch (type.kind) {
    case 'string':
      return typeof raw === 'string' ? raw : fail('a string');
    case 'bool':
      return typeof raw === 'boolean' ? raw : fail('true or false');
    case 'int':
      if (typeof raw !== 'number' || !Number.isInteger(raw)) return fail('an integer');
      if (raw < type.min || raw > type.max) {
        context.problems.add(fieldPath, `${raw} is out of range [${type.min}, ${type.max}] (${context.source})`);
        return undefined;
      }
      return raw;
    case 'float':
      return typeof raw === 'number' ? raw : fail('a number');
    case 'duration':
      if (typeof raw !== 'string') return fail('a duration string such as "1m30s"');
      return decodeDuration(raw, fieldPath, context);
    case 'timeOrDuration':
      if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
      if (typeof raw !== 'string') return fail('a duration string such as "5s"');
      return decodeDuration(raw, fieldPath, context);
    case 'quantity': {
      if (typeof raw !== 'string' && typeof raw !== 'number') return fail('a quantity such as "1Gi"');
      const quantity = Quantity.tryParse(String(raw));
      if (quantity === undefined) {
        context.problems.add(fieldPath, `invalid quantity ${JSON.stringify(String(raw))} (${context.source})`);
        return undefined;
      }
      return quantity.toString();
    }
    case 'time':
      return typeof raw === 'string' ? raw : fail('an RFC 3339 time');
    case 'map': {
      if (!isJsonObject(raw)) return fail('a mapping');
      const out: JsonObject = {};
      for (const [key, value] of Object.entries(raw)) {
        if (value === null && context.mode === 'dropin' && !context.inList) out[key] = null;
        if (value === null || value === undefined) continue;
        const decoded = decodeValue(value, type.value, keyPath(fieldPath, key), context);
        if (decoded !== undefined) out[key] = decoded;
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(raw)) return fail('a list');
      const out: JsonValue[] = [];
      // A list replaces the whole field, so nulls inside it are values, not removals.
      const itemContext = { ...context, inList: true };
      raw.forEach((item, i) => {
        const decoded = item === null ? null : decodeValue(item, type.item, keyPath(fieldPath, i), itemContext);
        if (decoded !== undefined) out.push(decoded);
      });
      return out;
    }
    case 'struct': {
      if (!isJsonObject(raw)) return fail('a mapping');
      const out: JsonObject = {};
      decodeStructFields(raw, type.fields, fieldPath, out, context);
      return out;
    }
  }
}

function decodeDuration(text: string, fieldPath: string, context: DecodeContext): string | undefined {
  try {
    return canonicalDuration(text);
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    context.problems.add(fieldPath, `${err.message} (${context.source})`);
    return undefined;
  }
}

/** YAML turns unquoted `cpu: 1` into a number; the kubelet wants a string there. */
function quoteHint(raw: JsonValue, type: FieldType): string {
  if (type.kind === 'string' && (typeof raw === 'number' || typeof raw === 'boolean')) {
    return `; quote it ("${String(raw)}") to keep it text`;
  }
  return '';
}

function resolvePath(value: string, baseDir: string): string {
  if (value === '' || path.isAbsolute(value)) return value;
  return path.join(baseDir, value);
}
