/**
 * The value syntaxes of the kubelet's flags (pflag and component-base cliflag), each as a
 * parser from the flag's text to a JSON value. Parsers throw FlagValueError with a reason;
 * the caller adds the flag name.
 */
import { isIP } from 'node:net';
import { Quantity } from '@kernelet/sdk/common';
import { canonicalDuration, DurationError } from './duration.js';
import { parseGoBool } from './feature-gates.js';
import type { JsonObject, JsonValue } from './json-value.js';

export class FlagValueError extends Error {
  override readonly name = 'FlagValueError';
}

export function parseBoolValue(text: string): boolean {
  const value = parseGoBool(text);
  if (value === undefined) throw new FlagValueError(`invalid boolean ${JSON.stringify(text)} (want true or false)`);
  return value;
}

/** strconv.ParseInt(text, 0, bits): decimal, 0x hex, 0o / leading-0 octal, 0b binary, optional sign. */
export function parseIntValue(text: string, min: number, max: number): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|[1-9][0-9_]*|0)$/.exec(text);
  if (!m) throw new FlagValueError(`invalid integer ${JSON.stringify(text)}`);
  const digits = (m[2] ?? '').replace(/_/g, '');
  let magnitude: number;
  if (/^0[xX]/.test(digits)) magnitude = parseInt(digits.slice(2), 16);
  else if (/^0[bB]/.test(digits)) magnitude = parseInt(digits.slice(2), 2);
  else if (/^0[oO]/.test(digits)) magnitude = parseInt(digits.slice(2), 8);
  else if (digits.length > 1 && digits.startsWith('0')) magnitude = parseInt(digits.slice(1), 8);
  else magnitude = parseInt(digits, 10);
  const value = m[1] === '-' ? -magnitude : magnitude;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new FlagValueError(`${JSON.stringify(text)} is out of range [${min}, ${max}]`);
  }
  return value;
}

export function parseDurationValue(text: string): string {
  try {
    return canonicalDuration(text);
  } catch (err) {
    if (err instanceof DurationError) throw new FlagValueError(err.message);
    throw err;
  }
}

export function parseIpValue(text: string): string {
  if (isIP(text) === 0) throw new FlagValueError(`${JSON.stringify(text)} is not a valid IP address`);
  return text;
}

/** pflag StringSlice: comma-separated, CSV quoting allowed; "" is the empty list. */
export function parseStringList(text: string): string[] {
  if (text === '') return [];
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        current += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        current += c;
      }
    } else if (c === '"' && current === '') {
      quoted = true;
    } else if (c === ',') {
      out.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (quoted) throw new FlagValueError(`unterminated quote in ${JSON.stringify(text)}`);
  out.push(current);
  return out;
}

/** cliflag MapStringString: "k1=v1,k2=v2", spaces around keys and values trimmed. */
export function parseKeyValueMap(text: string, separator: '=' | '<' = '='): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const at = item.indexOf(separator);
    if (at < 0) throw new FlagValueError(`malformed pair ${JSON.stringify(item)}, expect key${separator}value`);
    out[item.slice(0, at).trim()] = item.slice(at + 1).trim();
  }
  return out;
}

/** cliflag MapStringString without splitting: the whole text is one "key=value". */
export function parseSingleKeyValue(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at < 0) throw new FlagValueError(`malformed pair ${JSON.stringify(text)}, expect key=value`);
  return [text.slice(0, at).trim(), text.slice(at + 1).trim()];
}

/** cliflag ColonSeparatedMultimapStringString: "a:hello,b:again" -> {a: ["hello"], b: ["again"]}. */
export function parseHeaderList(text: string, into: Record<string, string[]>): void {
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const at = item.indexOf(':');
    if (at < 0) throw new FlagValueError(`malformed pair ${JSON.stringify(item)}, expect name:value`);
    const key = item.slice(0, at).trim();
    (into[key] ??= []).push(item.slice(at + 1).trim());
  }
}

/** cliflag ConfigurationMap (--node-labels): "k=v,k2" (a key alone maps to ""). */
export function parseLabelMap(text: string, into: Record<string, string>): void {
  for (const item of text.split(',')) {
    if (item === '') continue;
    const at = item.indexOf('=');
    if (at < 0) into[item.trim()] = '';
    else into[item.slice(0, at).trim()] = item.slice(at + 1).trim();
  }
}

/**
 * --reserved-memory: "0:memory=1Gi,hugepages-1Gi=2Gi", several NUMA nodes separated by ";".
 * Each type must be memory or hugepages-<size>, each value a quantity.
 */
export function parseReservedMemory(text: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const reservation of text.split(';')) {
    const parts = reservation.split(':');
    if (parts.length !== 2) {
      throw new FlagValueError(
        `${JSON.stringify(reservation)} has the wrong format, expected numaNodeID:type=quantity[,type=quantity...]`,
      );
    }
    const [idText = '', limitsText = ''] = parts;
    if (!/^\d+$/.test(idText.trim())) throw new FlagValueError(`NUMA node id ${JSON.stringify(idText)} is not a non-negative integer`);
    const limits: Record<string, JsonValue> = {};
    for (const limit of limitsText.split(',')) {
      const kv = limit.split('=');
      if (kv.length !== 2) throw new FlagValueError(`limit ${JSON.stringify(limit)} has the wrong format, expected type=quantity`);
      const [type = '', amount = ''] = kv;
      if (type !== 'memory' && !type.startsWith('hugepages-')) {
        throw new FlagValueError(`unknown memory type ${JSON.stringify(type)} (want memory or hugepages-<size>)`);
      }
      const quantity = Quantity.tryParse(amount);
      if (quantity === undefined) throw new FlagValueError(`invalid quantity ${JSON.stringify(amount)} for ${type}`);
      limits[type] = quantity.toString();
    }
    out.push({ numaNode: Number(idText.trim()), limits });
  }
  return out;
}

/** A quantity flag (resource.QuantityValue): canonical text. */
export function parseQuantityValue(text: string): string {
  const quantity = Quantity.tryParse(text);
  if (quantity === undefined) throw new FlagValueError(`invalid quantity ${JSON.stringify(text)}`);
  return quantity.toString();
}

/** --vmodule: "pattern=N,...", each N a verbosity level; the whole list is replaced. */
export function parseVModule(text: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const at = item.lastIndexOf('=');
    if (at <= 0) throw new FlagValueError(`${JSON.stringify(item)} is not pattern=N`);
    const level = item.slice(at + 1);
    if (!/^\d+$/.test(level) || Number(level) > 2 ** 32 - 1) throw new FlagValueError(`${JSON.stringify(level)} in ${JSON.stringify(item)} is not a verbosity level`);
    out.push({ filePattern: item.slice(0, at), verbosity: Number(level) });
  }
  return out;
}

const TAINT_FLAG_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * --register-with-taints: "key=value:effect" or "key:effect", comma-separated; every use
 * replaces the list. Each taint needs an effect, and a key and effect may appear once. Entries
 * ending in "-" (kubectl's removal syntax) are parsed and dropped, as upstream.
 */
export function parseTaints(text: string): JsonObject[] {
  if (text === '') return [];
  const taints: JsonObject[] = [];
  for (const spec of text.split(',')) {
    const removal = spec.endsWith('-');
    const taint = parseTaint(removal ? spec.slice(0, -1) : spec);
    if (removal) continue;
    if (taint['effect'] === undefined) throw new FlagValueError(`invalid taint ${JSON.stringify(spec)}: an effect is required (key=value:effect)`);
    if (taints.some((t) => t['key'] === taint['key'] && t['effect'] === taint['effect'])) {
      throw new FlagValueError(`duplicated taint ${JSON.stringify(spec)}: the same key and effect appear twice`);
    }
    taints.push(taint);
  }
  return taints;
}

function parseTaint(spec: string): JsonObject {
  const parts = spec.split(':');
  if (parts.length > 2) throw new FlagValueError(`invalid taint ${JSON.stringify(spec)}, expect key=value:effect`);
  const [keyValue = '', effect] = parts;
  if (effect !== undefined && !TAINT_FLAG_EFFECTS.includes(effect)) {
    throw new FlagValueError(`invalid taint ${JSON.stringify(spec)}: unknown effect ${JSON.stringify(effect)} (valid: ${TAINT_FLAG_EFFECTS.join(', ')})`);
  }
  const kv = keyValue.split('=');
  if (kv.length > 2) throw new FlagValueError(`invalid taint ${JSON.stringify(spec)}, expect key=value:effect`);
  const [key = '', value] = kv;
  if (key.length > 316 || !QUALIFIED_NAME.test(key) || (key.split('/').pop() ?? '').length > 63) {
    throw new FlagValueError(`invalid taint ${JSON.stringify(spec)}: the key ${JSON.stringify(key)} is not a qualified name`);
  }
  if (value !== undefined && (value.length > 63 || !LABEL_VALUE.test(value))) {
    throw new FlagValueError(`invalid taint ${JSON.stringify(spec)}: the value ${JSON.stringify(value)} is not a valid label value`);
  }
  const taint: JsonObject = { key };
  if (value !== undefined && value !== '') taint['value'] = value;
  if (effect !== undefined) taint['effect'] = effect;
  return taint;
}
