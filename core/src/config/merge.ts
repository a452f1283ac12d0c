/**
 * Applies a drop-in onto a configuration with the kubelet's merge semantics:
 * struct fields override field by field (nested structs recursively), maps merge key by key,
 * lists are replaced whole, and a map of lists (staticPodURLHeader) has each key's list replaced.
 *
 * Both sides are decoded against the schema first, so every JSON object here is a struct or a
 * map and every array a list: a recursive object merge with whole-array replacement is exactly
 * those rules.
 */
import { deepClone, isJsonObject, type JsonObject, type JsonValue } from './json-value.js';

/** Returns a new object: `base` with `overlay` applied. Neither input is changed. */
export function mergeConfiguration(base: JsonObject, overlay: JsonObject): JsonObject {
  const out = deepClone(base);
  mergeInto(out, overlay);
  return out;
}

function mergeInto(target: JsonObject, overlay: JsonObject): void {
  for (const [key, value] of Object.entries(overlay)) {
    if (value === undefined || value === null) continue;
    const current = target[key];
    if (isJsonObject(value) && isJsonObject(current)) {
      mergeInto(current, value);
    } else {
      target[key] = deepClone(value) as JsonValue;
    }
  }
}
