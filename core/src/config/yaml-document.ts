/**
 * Reads one YAML or JSON document the way the kubelet's decoder sees it: YAML 1.1 scalars
 * (`yes`/`on` are booleans, `0777` is octal), duplicate keys found with their paths, and the
 * result as plain JSON values.
 */
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import { isJsonObject, type JsonObject, type JsonValue } from './json-value.js';
import { childPath, keyPath } from './problem.js';

export interface ParsedDocument {
  /** The first document as JSON values, or undefined when it could not be read. */
  value?: JsonValue;
  /** Fatal: not YAML, empty, ... */
  errors: string[];
  /** Field paths that appear more than once in one mapping, in document order. */
  duplicates: string[];
  /** More than one document: only the first is used. */
  extraDocuments: number;
}

/** Sexagesimal numbers ("1:20") are YAML 1.1 but not what the kubelet's decoder reads: keep them as text. */
const SEXAGESIMAL = /^[-+]?\d[\d_]*(?::[0-5]?\d)+(?:\.\d*)?$/;

export function parseYamlDocument(text: string): ParsedDocument {
  const result: ParsedDocument = { errors: [], duplicates: [], extraDocuments: 0 };
  if (text.length === 0) {
    result.errors.push('the file is empty');
    return result;
  }
  const documents = parseAllDocuments(text, { version: '1.1', uniqueKeys: false, prettyErrors: true });
  if (!Array.isArray(documents)) {
    result.errors.push('could not be read as YAML');
    return result;
  }
  const first = documents[0];
  if (first === undefined || first.contents === null) {
    result.errors.push('contains no configuration (only whitespace or comments)');
    return result;
  }
  result.extraDocuments = documents.length - 1;
  if (first.errors.length > 0) {
    for (const error of first.errors) result.errors.push(`invalid YAML: ${firstLine(error.message)}`);
    return result;
  }
  try {
    result.value = toJson(first.contents as Node, first, '', result.duplicates);
  } catch (err) {
    result.errors.push(`invalid YAML: ${(err as Error).message}`);
  }
  return result;
}

function toJson(node: Node | null, doc: Document, path: string, duplicates: string[]): JsonValue {
  if (node === null) return null;
  if (isAlias(node)) return toJson(node.resolve(doc) ?? null, doc, path, duplicates);
  if (isScalar(node)) {
    const value: unknown = node.value;
    if (value instanceof Date) return node.source ?? value.toISOString();
    if (typeof value === 'number' && typeof node.source === 'string' && SEXAGESIMAL.test(node.source)) return node.source;
    if (typeof value === 'bigint') return Number(value);
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    return String(value);
  }
  if (isSeq(node)) {
    return node.items.map((item, i) => toJson(item as Node | null, doc, keyPath(path, i), duplicates));
  }
  if (isMap(node)) {
    const out: JsonObject = {};
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = keyText(keyNode, doc);
      const itemPath = path === '' || !/[.[\]]/.test(key) ? childPath(path, key) : keyPath(path, key);
      if (Object.prototype.hasOwnProperty.call(out, key)) duplicates.push(itemPath);
      out[key] = toJson(pair.value as Node | null, doc, itemPath, duplicates);
    }
    return out;
  }
  throw new Error('unsupported YAML node');
}

function keyText(node: Node | null, doc: Document): string {
  if (node === null) return '';
  const resolved = isAlias(node) ? node.resolve(doc) : node;
  if (resolved && isScalar(resolved)) {
    const value: unknown = resolved.value;
    return value === null ? 'null' : String(value);
  }
  throw new Error('mapping keys must be plain values');
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** True when the parsed value is a mapping, the only shape a configuration file can have. */
export function isMapping(value: JsonValue | undefined): value is JsonObject {
  return isJsonObject(value);
}
