/**
 * The configuration as the kubelet serializes it: v1beta1 field names in declaration order,
 * map keys sorted, durations in Go form ("1m0s"), quantities canonical, and Go's `omitempty`
 * rules (empty plain fields left out, pointers printed whenever set, structs always printed).
 *
 * `renderConfigz` is the body of /configz: `{"kubeletconfig":{...}}`, without apiVersion and
 * kind, exactly as upstream serves it.
 */
import type { AgentOptions } from './agent-options.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json-value.js';
import type { KubeletConfiguration } from './kubelet-configuration.js';
import { KUBELET_API_VERSION, KUBELET_CONFIGURATION_FIELDS, KUBELET_KIND, type FieldSpec, type FieldType } from './schema.js';

export interface SerializeOptions {
  /** Start with apiVersion and kind (for a file an operator can reuse). */
  typeMeta?: boolean;
}

/** The configuration as upstream's JSON encoding of KubeletConfiguration would produce it. */
export function serializeKubeletConfiguration(config: KubeletConfiguration | JsonObject, options: SerializeOptions = {}): JsonObject {
  const source = config as unknown as JsonObject;
  const out: JsonObject = {};
  if (options.typeMeta === true) {
    out['apiVersion'] = KUBELET_API_VERSION;
    out['kind'] = KUBELET_KIND;
  }
  Object.assign(out, renderStruct(source, KUBELET_CONFIGURATION_FIELDS));
  return out;
}

/** The /configz response body. */
export function renderConfigz(options: AgentOptions): string {
  return JSON.stringify({ kubeletconfig: serializeKubeletConfiguration(options.kubelet) });
}

function renderStruct(value: JsonObject, fields: readonly FieldSpec[]): JsonObject {
  const out: JsonObject = {};
  for (const field of fields) {
    const rendered = renderField(value[field.name], field);
    if (rendered !== undefined) out[field.name] = rendered;
  }
  return out;
}

function renderField(value: JsonValue | undefined, field: FieldSpec): JsonValue | undefined {
  const type = field.type;
  if (value === undefined || value === null) {
    if (field.pointer === true) return undefined;
    if (type.kind === 'struct') return renderStruct({}, type.fields);
    if (type.kind === 'duration') return '0s';
    return field.always === true ? zeroValue(type) : undefined;
  }
  if (field.pointer !== true && field.always !== true && isEmpty(value, type)) return undefined;
  return renderValue(value, type);
}

function renderValue(value: JsonValue, type: FieldType): JsonValue {
  switch (type.kind) {
    case 'struct':
      return renderStruct(isJsonObject(value) ? value : {}, type.fields);
    case 'map': {
      if (!isJsonObject(value)) return value;
      const out: JsonObject = {};
      for (const key of Object.keys(value).sort()) {
        const item = value[key];
        if (item !== undefined) out[key] = renderValue(item, type.value);
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((item) => (item === null ? null : renderValue(item, type.item))) : value;
    default:
      return value;
  }
}

/** Go's omitempty: false, 0, "", and empty maps and lists. Durations and structs are never empty. */
function isEmpty(value: JsonValue, type: FieldType): boolean {
  switch (type.kind) {
    case 'string':
    case 'time':
      return value === '';
    case 'bool':
      return value === false;
    case 'int':
    case 'float':
      return value === 0;
    case 'map':
      return isJsonObject(value) && Object.keys(value).length === 0;
    case 'list':
      return Array.isArray(value) && value.length === 0;
    default:
      return false;
  }
}

function zeroValue(type: FieldType): JsonValue {
  switch (type.kind) {
    case 'string':
    case 'time':
      return '';
    case 'bool':
      return false;
    case 'int':
    case 'float':
      return 0;
    case 'duration':
    case 'timeOrDuration':
      return '0s';
    case 'quantity':
      return '0';
    case 'struct':
      return renderStruct({}, type.fields);
    default:
      return null;
  }
}
