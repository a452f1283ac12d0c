/**
 * Checks a pod manifest the way the API server would before accepting it, in two passes:
 * `checkPodShape` (the JSON types of the fields a decoder would refuse: a number where a string
 * belongs, a map where a list belongs) and `validatePod` (the rules of pod creation that matter
 * to a node: names, images, container and volume references, enumerations, ports, resources).
 *
 * Errors read as "<field path>: <what is wrong>", naming the offending value. The rules are a
 * subset of upstream's ValidatePodCreate: those a node can check without the API server and that
 * a hand-written manifest gets wrong; fields they do not cover pass through unchecked.
 */
import type { Pod } from './k8s-types.js';
import { volumeSourcesOf } from './pod-defaults.js';
import { Quantity } from './quantity.js';

type JsonObject = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Shape

type Shape =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'quantity'
  | 'intOrString'
  | 'any'
  | { readonly object: Readonly<Record<string, Shape>> }
  | { readonly array: Shape }
  | { readonly map: Shape };

const str: Shape = 'string';
const int: Shape = 'integer';
const bool: Shape = 'boolean';
const obj = (fields: Record<string, Shape>): Shape => ({ object: fields });
const arr = (item: Shape): Shape => ({ array: item });
const map = (value: Shape): Shape => ({ map: value });

const HTTP_GET = obj({ path: str, port: 'intOrString', host: str, scheme: str, httpHeaders: arr(obj({ name: str, value: str })) });
const HANDLER = { exec: obj({ command: arr(str) }), httpGet: HTTP_GET, tcpSocket: obj({ port: 'intOrString', host: str }) };
const PROBE = obj({
  ...HANDLER,
  grpc: obj({ port: int, service: str }),
  initialDelaySeconds: int,
  timeoutSeconds: int,
  periodSeconds: int,
  successThreshold: int,
  failureThreshold: int,
  terminationGracePeriodSeconds: int,
});
const KEY_REF = obj({ name: str, key: str, optional: bool });
const CONTAINER = obj({
  name: str,
  image: str,
  command: arr(str),
  args: arr(str),
  workingDir: str,
  ports: arr(obj({ name: str, containerPort: int, hostPort: int, protocol: str, hostIP: str })),
  env: arr(
    obj({
      name: str,
      value: str,
      valueFrom: obj({
        fieldRef: obj({ apiVersion: str, fieldPath: str }),
        resourceFieldRef: obj({ containerName: str, resource: str, divisor: 'quantity' }),
        configMapKeyRef: KEY_REF,
        secretKeyRef: KEY_REF,
      }),
    }),
  ),
  envFrom: arr(obj({ prefix: str, configMapRef: obj({ name: str, optional: bool }), secretRef: obj({ name: str, optional: bool }) })),
  resources: obj({ limits: map('quantity'), requests: map('quantity'), claims: arr(obj({ name: str })) }),
  volumeMounts: arr(obj({ name: str, mountPath: str, readOnly: bool, subPath: str, subPathExpr: str, mountPropagation: str })),
  volumeDevices: arr(obj({ name: str, devicePath: str })),
  livenessProbe: PROBE,
  readinessProbe: PROBE,
  startupProbe: PROBE,
  lifecycle: obj({ postStart: obj({ ...HANDLER, sleep: obj({ seconds: int }) }), preStop: obj({ ...HANDLER, sleep: obj({ seconds: int }) }) }),
  terminationMessagePath: str,
  terminationMessagePolicy: str,
  imagePullPolicy: str,
  securityContext: 'any',
  stdin: bool,
  stdinOnce: bool,
  tty: bool,
  restartPolicy: str,
});
const POD: Shape = obj({
  apiVersion: str,
  kind: str,
  metadata: obj({ name: str, generateName: str, namespace: str, uid: str, labels: map(str), annotations: map(str) }),
  spec: obj({
    containers: arr(CONTAINER),
    initContainers: arr(CONTAINER),
    ephemeralContainers: arr(CONTAINER),
    volumes: arr(
      obj({
        name: str,
        hostPath: obj({ path: str, type: str }),
        emptyDir: obj({ medium: str, sizeLimit: 'quantity' }),
        configMap: obj({ name: str, defaultMode: int, optional: bool }),
        secret: obj({ secretName: str, defaultMode: int, optional: bool }),
      }),
    ),
    restartPolicy: str,
    terminationGracePeriodSeconds: int,
    activeDeadlineSeconds: int,
    dnsPolicy: str,
    nodeSelector: map(str),
    serviceAccountName: str,
    serviceAccount: str,
    automountServiceAccountToken: bool,
    nodeName: str,
    hostNetwork: bool,
    hostPID: bool,
    hostIPC: bool,
    shareProcessNamespace: bool,
    securityContext: 'any',
    imagePullSecrets: arr(obj({ name: str })),
    hostname: str,
    subdomain: str,
    schedulerName: str,
    tolerations: arr(obj({ key: str, operator: str, value: str, effect: str, tolerationSeconds: int })),
    hostAliases: arr(obj({ ip: str, hostnames: arr(str) })),
    priorityClassName: str,
    priority: int,
    runtimeClassName: str,
    enableServiceLinks: bool,
    preemptionPolicy: str,
    overhead: map('quantity'),
    os: obj({ name: str }),
  }),
});

/**
 * The fields of a pod manifest whose JSON type is wrong (what the API's decoder refuses), e.g.
 * `spec.containers[0].env[0].value: want a string, got the number 8080`. Null counts as absent.
 */
export function checkPodShape(manifest: unknown): string[] {
  const errors: string[] = [];
  checkShape(manifest, POD, '', errors);
  return errors;
}

function checkShape(value: unknown, shape: Shape, path: string, errors: string[]): void {
  if (value === null || value === undefined || shape === 'any') return;
  const at = path === '' ? '' : `${path}: `;
  if (shape === 'string') {
    if (typeof value !== 'string') errors.push(`${at}want a string, got ${describeValue(value)}${typeof value === 'number' || typeof value === 'boolean' ? ' (quote it)' : ''}`);
    return;
  }
  if (shape === 'integer') {
    if (typeof value !== 'number' || !Number.isInteger(value)) errors.push(`${at}want a whole number, got ${describeValue(value)}`);
    return;
  }
  if (shape === 'boolean') {
    if (typeof value !== 'boolean') errors.push(`${at}want true or false, got ${describeValue(value)}`);
    return;
  }
  if (shape === 'intOrString') {
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) errors.push(`${at}want a port number or name, got ${describeValue(value)}`);
    return;
  }
  if (shape === 'quantity') {
    if (typeof value === 'number' && Number.isFinite(value)) return;
    if (typeof value === 'string' && Quantity.tryParse(value.trim()) !== undefined) return;
    errors.push(`${at}want a quantity such as "100m", "1.5" or "64Mi", got ${describeValue(value)}`);
    return;
  }
  if ('array' in shape) {
    if (!Array.isArray(value)) {
      errors.push(`${at}want a list, got ${describeValue(value)}`);
      return;
    }
    value.forEach((item, i) => checkShape(item, shape.array, `${path}[${i}]`, errors));
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.push(`${at}want a mapping, got ${describeValue(value)}`);
    return;
  }
  const record = value as JsonObject;
  if ('map' in shape) {
    for (const [key, item] of Object.entries(record)) checkShape(item, shape.map, join(path, key), errors);
    return;
  }
  for (const [key, fieldShape] of Object.entries(shape.object)) {
    if (key in record) checkShape(record[key], fieldShape, join(path, key), errors);
  }
}

function join(path: string, key: string): string {
  const part = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return path === '' ? part : part.startsWith('[') ? `${path}${part}` : `${path}.${part}`;
}

/** A value in a few words, for messages: 'the number 8080', 'a list', 'the string "x"'. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return `the boolean ${value}`;
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

// ---------------------------------------------------------------------------------------------
// Rules

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'Never', 'IfNotPresent'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const TOLERATION_OPERATORS = ['Exists', 'Equal'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** Why a name is not a DNS-1123 subdomain (lower-case, '-', '.', at most 253), or undefined when it is one. */
export function checkDNS1123Subdomain(name: string): string | undefined {
  if (name.length > 253) return `must be no more than 253 characters (has ${name.length})`;
  if (!DNS1123_SUBDOMAIN.test(name)) {
    return "must be a lower-case RFC 1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/** Why a name is not a DNS-1123 label (lower-case, '-', at most 63), or undefined when it is one. */
export function checkDNS1123Label(name: string): string | undefined {
  if (name.length > 63) return `must be no more than 63 characters (has ${name.length})`;
  if (!DNS1123_LABEL.test(name)) {
    return "must be a lower-case RFC 1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit";
  }
  return undefined;
}

/** Why a label or annotation key is not a qualified name ("[prefix/]name"), or undefined when it is one. */
export function checkQualifiedName(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix === '') return 'prefix part must not be empty';
    const bad = checkDNS1123Subdomain(prefix);
    if (bad) return `prefix part ${bad}`;
  }
  if (name === '') return 'name part must not be empty';
  if (name.length > 63) return `name part must be no more than 63 characters (has ${name.length})`;
  if (!QUALIFIED_NAME_PART.test(name)) {
    return "name part must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/**
 * What is wrong with a pod (after defaulting), as "<field>: <problem>" lines; empty when
 * nothing is. `forbidEphemeralContainers` follows pod creation, where they may not be set.
 */
export function validatePod(pod: Pod, options: { forbidEphemeralContainers?: boolean } = {}): string[] {
  const errors: string[] = [];
  const add = (field: string, message: string) => errors.push(`${field}: ${message}`);
  const root = pod as unknown as JsonObject;
  const metadata = asObject(root['metadata']) ?? {};
  const spec = asObject(root['spec']) ?? {};

  validateMetadata(metadata, add);

  const volumes = asObjects(spec['volumes']);
  const volumeNames = new Set<string>();
  volumes.forEach((volume, i) => {
    const field = `spec.volumes[${i}]`;
    const name = text(volume['name']);
    if (name === '') add(`${field}.name`, 'required');
    else {
      const bad = checkDNS1123Label(name);
      if (bad) add(`${field}.name`, `invalid value ${JSON.stringify(name)}: ${bad}`);
      if (volumeNames.has(name)) add(`${field}.name`, `duplicate volume name ${JSON.stringify(name)}`);
      volumeNames.add(name);
    }
    const sources = volumeSourcesOf(volume);
    if (sources.length > 1) add(field, `may name only one volume source, names ${sources.join(', ')}`);
    const hostPath = asObject(volume['hostPath']);
    if (hostPath && text(hostPath['path']) === '') add(`${field}.hostPath.path`, 'required');
  });

  const containers = asObjects(spec['containers']);
  const initContainers = asObjects(spec['initContainers']);
  const ephemeral = asObjects(spec['ephemeralContainers']);
  if (containers.length === 0) add('spec.containers', 'required: a pod needs at least one container');
  if (options.forbidEphemeralContainers && ephemeral.length > 0) add('spec.ephemeralContainers', 'forbidden: cannot be set when a pod is created');
  const containerNames = new Map<string, string>();
  const checkContainers = (list: JsonObject[], kind: string) =>
    list.forEach((container, i) => validateContainer(container, `spec.${kind}[${i}]`, kind, containerNames, volumeNames, add));
  checkContainers(initContainers, 'initContainers');
  checkContainers(containers, 'containers');
  checkContainers(ephemeral, 'ephemeralContainers');

  oneOf(spec['restartPolicy'], RESTART_POLICIES, 'spec.restartPolicy', add);
  oneOf(spec['dnsPolicy'], DNS_POLICIES, 'spec.dnsPolicy', add);
  if (spec['dnsPolicy'] === 'None' && !asObject(spec['dnsConfig'])) add('spec.dnsConfig', 'required when dnsPolicy is None');
  const grace = spec['terminationGracePeriodSeconds'];
  if (typeof grace === 'number' && grace < 0) add('spec.terminationGracePeriodSeconds', `must be 0 or more, is ${grace}`);
  const deadline = spec['activeDeadlineSeconds'];
  if (typeof deadline === 'number' && deadline <= 0) add('spec.activeDeadlineSeconds', `must be more than 0, is ${deadline}`);
  if (spec['hostNetwork'] === true) {
    for (const [kind, list] of [['initContainers', initContainers], ['containers', containers]] as const) {
      list.forEach((container, i) =>
        asObjects(container['ports']).forEach((port, j) => {
          if (port['hostPort'] !== undefined && port['hostPort'] !== port['containerPort']) {
            add(`spec.${kind}[${i}].ports[${j}].hostPort`, `must equal containerPort ${String(port['containerPort'])} when hostNetwork is true, is ${String(port['hostPort'])}`);
          }
        }),
      );
    }
  }
  asObjects(spec['tolerations']).forEach((toleration, i) => {
    const field = `spec.tolerations[${i}]`;
    if (toleration['operator'] !== undefined) oneOf(toleration['operator'], TOLERATION_OPERATORS, `${field}.operator`, add);
    if (toleration['effect'] !== undefined && toleration['effect'] !== '') oneOf(toleration['effect'], TAINT_EFFECTS, `${field}.effect`, add);
    if (toleration['operator'] === 'Exists' && text(toleration['value']) !== '') add(`${field}.value`, 'must be empty when operator is Exists');
  });
  return errors;
}

function validateMetadata(metadata: JsonObject, add: (field: string, message: string) => void): void {
  const name = text(metadata['name']);
  if (name === '') add('metadata.name', 'required');
  else {
    const bad = checkDNS1123Subdomain(name);
    if (bad) add('metadata.name', `invalid value ${JSON.stringify(name)}: ${bad}`);
  }
  const namespace = text(metadata['namespace']);
  if (namespace !== '') {
    const bad = checkDNS1123Label(namespace);
    if (bad) add('metadata.namespace', `invalid value ${JSON.stringify(namespace)}: ${bad}`);
  }
  for (const [key, value] of Object.entries(asObject(metadata['labels']) ?? {})) {
    const bad = checkQualifiedName(key);
    if (bad) add(`metadata.labels`, `invalid key ${JSON.stringify(key)}: ${bad}`);
    const labelValue = text(value);
    if (labelValue.length > 63 || !LABEL_VALUE.test(labelValue)) {
      add(`metadata.labels[${JSON.stringify(key)}]`, `invalid value ${JSON.stringify(labelValue)}: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`);
    }
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(asObject(metadata['annotations']) ?? {})) {
    const bad = checkQualifiedName(key);
    if (bad) add('metadata.annotations', `invalid key ${JSON.stringify(key)}: ${bad}`);
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(text(value));
  }
  if (annotationBytes > MAX_ANNOTATIONS_BYTES) add('metadata.annotations', `may hold at most 256 KiB, holds ${annotationBytes} bytes`);
}

function validateContainer(
  container: JsonObject,
  field: string,
  kind: string,
  names: Map<string, string>,
  volumeNames: ReadonlySet<string>,
  add: (field: string, message: string) => void,
): void {
  const name = text(container['name']);
  if (name === '') add(`${field}.name`, 'required');
  else {
    const bad = checkDNS1123Label(name);
    if (bad) add(`${field}.name`, `invalid value ${JSON.stringify(name)}: ${bad}`);
    const earlier = names.get(name);
    if (earlier !== undefined) add(`${field}.name`, `duplicate container name ${JSON.stringify(name)} (also ${earlier})`);
    else names.set(name, field);
  }
  const image = text(container['image']);
  if (image === '') add(`${field}.image`, 'required: every container needs an image');
  else if (image !== image.trim()) add(`${field}.image`, `invalid value ${JSON.stringify(image)}: must not have leading or trailing whitespace`);
  oneOf(container['imagePullPolicy'], PULL_POLICIES, `${field}.imagePullPolicy`, add);
  oneOf(container['terminationMessagePolicy'], TERMINATION_MESSAGE_POLICIES, `${field}.terminationMessagePolicy`, add);
  if (kind === 'initContainers' && container['restartPolicy'] !== undefined && container['restartPolicy'] !== 'Always') {
    add(`${field}.restartPolicy`, `unsupported value ${JSON.stringify(container['restartPolicy'])} (want Always, or none)`);
  }
  if (kind === 'containers' && container['restartPolicy'] !== undefined) add(`${field}.restartPolicy`, 'may be set only on init containers');

  const portNames = new Set<string>();
  asObjects(container['ports']).forEach((port, i) => {
    const at = `${field}.ports[${i}]`;
    const containerPort = port['containerPort'];
    if (typeof containerPort !== 'number' || containerPort < 1 || containerPort > 65535) {
      add(`${at}.containerPort`, `must be between 1 and 65535, is ${containerPort === undefined ? 'missing' : String(containerPort)}`);
    }
    const hostPort = port['hostPort'];
    if (typeof hostPort === 'number' && (hostPort < 0 || hostPort > 65535)) add(`${at}.hostPort`, `must be between 0 and 65535, is ${hostPort}`);
    oneOf(port['protocol'], PROTOCOLS, `${at}.protocol`, add);
    const portName = text(port['name']);
    if (portName !== '') {
      if (portName.length > 15 || !IANA_SVC_NAME.test(portName) || portName.includes('--') || !/[a-z]/.test(portName)) {
        add(`${at}.name`, `invalid value ${JSON.stringify(portName)}: at most 15 lower-case letters, digits and '-', with at least one letter`);
      }
      if (portNames.has(portName)) add(`${at}.name`, `duplicate port name ${JSON.stringify(portName)}`);
      portNames.add(portName);
    }
  });

  asObjects(container['env']).forEach((env, i) => {
    const envName = text(env['name']);
    if (envName === '') add(`${field}.env[${i}].name`, 'required');
    else if (envName.includes('=') || !/^[\x20-\x7e]+$/.test(envName)) {
      add(`${field}.env[${i}].name`, `invalid value ${JSON.stringify(envName)}: printable ASCII characters other than '='`);
    }
  });

  const mountPaths = new Set<string>();
  asObjects(container['volumeMounts']).forEach((mount, i) => {
    const at = `${field}.volumeMounts[${i}]`;
    const volume = text(mount['name']);
    if (volume === '') add(`${at}.name`, 'required');
    else if (!volumeNames.has(volume)) add(`${at}.name`, `no volume named ${JSON.stringify(volume)} in spec.volumes`);
    const path = text(mount['mountPath']);
    if (path === '') add(`${at}.mountPath`, 'required');
    else if (mountPaths.has(path)) add(`${at}.mountPath`, `${JSON.stringify(path)} is mounted twice`);
    mountPaths.add(path);
  });

  const resources = asObject(container['resources']) ?? {};
  const limits = asObject(resources['limits']) ?? {};
  const requests = asObject(resources['requests']) ?? {};
  for (const [list, values] of [['limits', limits], ['requests', requests]] as const) {
    for (const [resource, value] of Object.entries(values)) {
      const quantity = toQuantity(value);
      if (quantity && quantity.sign() < 0) add(`${field}.resources.${list}[${JSON.stringify(resource)}]`, `must not be negative, is ${String(value)}`);
    }
  }
  for (const [resource, value] of Object.entries(requests)) {
    const request = toQuantity(value);
    const limit = toQuantity(limits[resource]);
    if (request && limit && request.cmp(limit) > 0) {
      add(`${field}.resources.requests[${JSON.stringify(resource)}]`, `${String(value)} must be no more than the limit ${String(limits[resource])}`);
    }
  }

  for (const probeKind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = asObject(container[probeKind]);
    if (!probe) continue;
    const at = `${field}.${probeKind}`;
    if (kind === 'initContainers' && container['restartPolicy'] !== 'Always') add(at, 'may not be set on an init container that is not a sidecar (restartPolicy: Always)');
    for (const key of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
      const value = probe[key];
      if (typeof value === 'number' && value < 0) add(`${at}.${key}`, `must be 0 or more, is ${value}`);
    }
    if (probeKind !== 'readinessProbe' && probe['successThreshold'] !== undefined && probe['successThreshold'] !== 1) {
      add(`${at}.successThreshold`, `must be 1, is ${String(probe['successThreshold'])}`);
    }
    const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => probe[h] !== undefined && probe[h] !== null);
    if (handlers.length === 0) add(at, 'must name one handler: exec, httpGet, tcpSocket or grpc');
    if (handlers.length > 1) add(at, `may name only one handler, names ${handlers.join(', ')}`);
  }
}

function oneOf(value: unknown, allowed: readonly string[], field: string, add: (field: string, message: string) => void): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string' || !allowed.includes(value)) add(field, `unsupported value ${JSON.stringify(value)} (want ${allowed.join(', ')})`);
}

function toQuantity(value: unknown): Quantity | undefined {
  if (typeof value === 'number') return Quantity.tryParse(String(value));
  return typeof value === 'string' ? Quantity.tryParse(value.trim()) : undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

function asObjects(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter((v): v is JsonObject => asObject(v) !== undefined) : [];
}
