/**
 * Drop-ins applied as the kubelet applies them: its configuration, serialized as v1beta1 JSON,
 * gets each drop-in as a JSON merge patch (RFC 7386), and the result is decoded with Go's
 * encoding/json. Hence:
 * - struct fields override field by field (nested structs recursively) and maps merge key by key;
 * - lists are replaced whole (a map of lists such as staticPodURLHeader: each key's list);
 * - `null` removes a field or map key (it is defaulted again afterwards, if it has a default);
 * - a name that matches a field only ignoring case stays a key of its own through the merge; Go
 *   then decodes every spelling of a field in sorted key order, each over the last
 *   (`foldFieldNames`).
 *
 * Every JSON object here was decoded against the schema, so it is a struct or a map, every array
 * a list.
 */
import { deepClone, isJsonObject, type JsonObject, type JsonValue } from './json-value.js';
import type { FieldSpec, FieldType } from './schema.js';

/** Returns a new object: `base` with `patch` applied as a JSON merge patch. Neither input is changed. */
export function mergeConfiguration(base: JsonObject, patch: JsonObject): JsonObject {
  return mergeInto(deepClone(base), patch);
}

function mergeInto(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      delete target[key];
    } else if (isJsonObject(value)) {
      const current = target[key];
      target[key] = mergeInto(isJsonObject(current) ? current : {}, value);
    } else {
      target[key] = deepClone(value);
    }
  }
  return target;
}

/**
 * Settles names that match a field only ignoring case, as Go's encoding/json does when it decodes
 * the merged document: every spelling of a field is decoded in sorted (byte) order, each into the
 * field as the previous one left it (structs and maps merge, other values replace).
 */
export function foldFieldNames(value: JsonObject, fields: readonly FieldSpec[]): JsonObject {
  const out: JsonObject = {};
  for (const field of fields) {
    const lower = field.name.toLowerCase();
    const spellings = Object.keys(value)
      .filter((key) => key.toLowerCase() === lower)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let folded: JsonValue | undefined;
    for (const key of spellings) {
      const item = value[key];
      if (item === undefined || item === null) continue;
      folded = decodeOver(folded, foldValue(item, field.type), field.type);
    }
    if (folded !== undefined) out[field.name] = folded;
  }
  return out;
}

function foldValue(value: JsonValue, type: FieldType): JsonValue {
  if (type.kind === 'struct' && isJsonObject(value)) return foldFieldNames(value, type.fields);
  if (type.kind === 'list' && Array.isArray(value)) return value.map((item) => (item === null ? null : foldValue(item, type.item)));
  if (type.kind === 'map' && isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = item === null ? null : foldValue(item, type.value);
    return out;
  }
  return value;
}

/** Decoding `next` into a field that already holds `current`: structs by field, maps by key, the rest replaced. */
function decodeOver(current: JsonValue | undefined, next: JsonValue, type: FieldType): JsonValue {
  if (current === undefined || !isJsonObject(current) || !isJsonObject(next)) return next;
  if (type.kind === 'struct') {
    const out: JsonObject = { ...current };
    for (const field of type.fields) {
      const item = next[field.name];
      if (item !== undefined && item !== null) out[field.name] = decodeOver(current[field.name], item, field.type);
    }
    return out;
  }
  if (type.kind === 'map') return { ...current, ...next };
  return next;
}
