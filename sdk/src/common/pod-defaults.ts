/**
 * The defaults the API server gives every Pod it stores (core/v1 defaulting), so that a pod that
 * never went through an API server — a static pod, a pod read by `kernelet simulate` — looks as
 * it would after one. The Priority admission plugin's spec.priority and preemptionPolicy are
 * apart (applyPriorityAdmission): the kubelet's static pods never get them, only pods that are
 * meant to look stored by an API server do.
 *
 * Works on the pod's JSON shape, keeping fields it does not know, and never changes a value the
 * manifest sets. Not covered: pod-level resources (`spec.resources`) and image volumes' pull
 * policy, which depend on feature gates; priorities of classes other than the two built-in ones
 * (they live in the API server).
 */
import type { Pod } from './k8s-types.js';
import { Quantity } from './quantity.js';

export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const TERMINATION_MESSAGE_PATH_DEFAULT = '/dev/termination-log';
/** Mode 0644, the default of secret, configMap, downwardAPI and projected volumes. */
export const DEFAULT_VOLUME_MODE = 0o644;

/** The priority values of the built-in classes, as the API server creates them. */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  'system-node-critical': 2_000_001_000,
  'system-cluster-critical': 2_000_000_000,
};

type JsonObject = Record<string, unknown>;

/** A copy of the pod with every API default filled in; the argument is left untouched. */
export function applyPodDefaults(pod: Pod): Pod {
  const out = structuredClone(pod) as JsonObject;
  const spec = ensureObject(out, 'spec');
  defaultPodSpec(spec);
  defaultPodOnly(spec);
  return out as Pod;
}

/**
 * A copy of the pod with what the API server's Priority admission plugin sets: spec.priority
 * and preemptionPolicy for a pod without a priority (see defaultPriority). Not for static pods:
 * upstream's kubelet runs them without a priority (0 wherever one is compared).
 */
export function applyPriorityAdmission(pod: Pod): Pod {
  const out = structuredClone(pod) as JsonObject;
  defaultPriority(ensureObject(out, 'spec'));
  return out as Pod;
}

/** Pod-only defaults (upstream keeps these out of pod templates). */
function defaultPodOnly(spec: JsonObject): void {
  for (const container of [...objects(spec['containers']), ...objects(spec['initContainers'])]) {
    const resources = object(container['resources']);
    const limits = object(resources?.['limits']);
    if (!resources || !limits) continue;
    const requests = ensureObject(resources, 'requests');
    for (const [name, value] of Object.entries(limits)) {
      if (!(name in requests)) requests[name] = value;
    }
  }
  setIfAbsent(spec, 'enableServiceLinks', true);
  if (spec['hostNetwork'] === true) {
    for (const container of [...objects(spec['containers']), ...objects(spec['initContainers'])]) {
      for (const port of objects(container['ports'])) {
        if (!port['hostPort']) port['hostPort'] = port['containerPort'];
      }
    }
  }
}

function defaultPodSpec(spec: JsonObject): void {
  setIfEmpty(spec, 'dnsPolicy', 'ClusterFirst');
  setIfEmpty(spec, 'restartPolicy', 'Always');
  setIfAbsent(spec, 'securityContext', {});
  setIfAbsent(spec, 'terminationGracePeriodSeconds', DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
  setIfEmpty(spec, 'schedulerName', DEFAULT_SCHEDULER_NAME);
  for (const volume of objects(spec['volumes'])) defaultVolume(volume);
  for (const container of objects(spec['initContainers'])) defaultContainer(container);
  for (const container of objects(spec['containers'])) defaultContainer(container);
  for (const container of objects(spec['ephemeralContainers'])) defaultContainer(container);
  roundResourceList(spec, 'overhead');
}

/**
 * What the Priority admission plugin decides for a pod without a priority: 0 and
 * PreemptLowerPriority without a class (no cluster-wide default class can be known here), the
 * built-in classes' values for theirs; other classes are left for whoever knows them.
 */
function defaultPriority(spec: JsonObject): void {
  if (spec['priority'] !== undefined && spec['priority'] !== null) return;
  const className = spec['priorityClassName'];
  if (className === undefined || className === null || className === '') {
    spec['priority'] = 0;
    setIfEmpty(spec, 'preemptionPolicy', 'PreemptLowerPriority');
    return;
  }
  const builtIn = typeof className === 'string' ? SYSTEM_PRIORITY_CLASSES[className] : undefined;
  if (builtIn !== undefined) {
    spec['priority'] = builtIn;
    setIfEmpty(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  }
}

function defaultContainer(container: JsonObject): void {
  if (isEmpty(container['imagePullPolicy'])) {
    container['imagePullPolicy'] = typeof container['image'] === 'string' ? defaultPullPolicy(container['image']) : 'IfNotPresent';
  }
  setIfEmpty(container, 'terminationMessagePath', TERMINATION_MESSAGE_PATH_DEFAULT);
  setIfEmpty(container, 'terminationMessagePolicy', 'File');
  for (const port of objects(container['ports'])) setIfEmpty(port, 'protocol', 'TCP');
  for (const env of objects(container['env'])) {
    const fieldRef = object(object(env['valueFrom'])?.['fieldRef']);
    if (fieldRef) setIfEmpty(fieldRef, 'apiVersion', 'v1');
  }
  const resources = object(container['resources']);
  if (resources) {
    roundResourceList(resources, 'limits');
    roundResourceList(resources, 'requests');
  }
  for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = object(container[key]);
    if (probe) defaultProbe(probe);
  }
  const lifecycle = object(container['lifecycle']);
  for (const key of ['postStart', 'preStop']) {
    const handler = object(lifecycle?.[key]);
    const httpGet = object(handler?.['httpGet']);
    if (httpGet) defaultHTTPGet(httpGet);
  }
}

function defaultProbe(probe: JsonObject): void {
  setIfZero(probe, 'timeoutSeconds', 1);
  setIfZero(probe, 'periodSeconds', 10);
  setIfZero(probe, 'successThreshold', 1);
  setIfZero(probe, 'failureThreshold', 3);
  const httpGet = object(probe['httpGet']);
  if (httpGet) defaultHTTPGet(httpGet);
  const grpc = object(probe['grpc']);
  if (grpc) setIfAbsent(grpc, 'service', '');
}

function defaultHTTPGet(action: JsonObject): void {
  setIfEmpty(action, 'path', '/');
  setIfEmpty(action, 'scheme', 'HTTP');
}

/** The volume sources a volume may name; a volume naming none is an emptyDir. */
const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc',
  'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
] as const;

export function volumeSourcesOf(volume: Readonly<Record<string, unknown>>): string[] {
  return VOLUME_SOURCES.filter((key) => volume[key] !== undefined && volume[key] !== null);
}

function defaultVolume(volume: JsonObject): void {
  if (volumeSourcesOf(volume).length === 0) volume['emptyDir'] = {};
  const hostPath = object(volume['hostPath']);
  if (hostPath) setIfAbsent(hostPath, 'type', '');
  for (const key of ['secret', 'configMap']) {
    const source = object(volume[key]);
    if (source) setIfAbsent(source, 'defaultMode', DEFAULT_VOLUME_MODE);
  }
  const downwardAPI = object(volume['downwardAPI']);
  if (downwardAPI) {
    setIfAbsent(downwardAPI, 'defaultMode', DEFAULT_VOLUME_MODE);
    defaultDownwardItems(downwardAPI);
  }
  const projected = object(volume['projected']);
  if (projected) {
    setIfAbsent(projected, 'defaultMode', DEFAULT_VOLUME_MODE);
    for (const source of objects(projected['sources'])) {
      const items = object(source['downwardAPI']);
      if (items) defaultDownwardItems(items);
      const token = object(source['serviceAccountToken']);
      if (token) setIfAbsent(token, 'expirationSeconds', 3600);
    }
  }
  const iscsi = object(volume['iscsi']);
  if (iscsi) setIfEmpty(iscsi, 'iscsiInterface', 'default');
  const rbd = object(volume['rbd']);
  if (rbd) {
    setIfEmpty(rbd, 'pool', 'rbd');
    setIfEmpty(rbd, 'user', 'admin');
    setIfEmpty(rbd, 'keyring', '/etc/ceph/keyring');
  }
  const azureDisk = object(volume['azureDisk']);
  if (azureDisk) {
    setIfAbsent(azureDisk, 'cachingMode', 'ReadWrite');
    setIfAbsent(azureDisk, 'fsType', 'ext4');
    setIfAbsent(azureDisk, 'readOnly', false);
    setIfAbsent(azureDisk, 'kind', 'Shared');
  }
  const scaleIO = object(volume['scaleIO']);
  if (scaleIO) {
    setIfEmpty(scaleIO, 'storageMode', 'ThinProvisioned');
    setIfEmpty(scaleIO, 'fsType', 'xfs');
  }
  const claimSpec = object(object(object(volume['ephemeral'])?.['volumeClaimTemplate'])?.['spec']);
  if (claimSpec) {
    setIfAbsent(claimSpec, 'volumeMode', 'Filesystem');
    const resources = object(claimSpec['resources']);
    if (resources) {
      roundResourceList(resources, 'limits');
      roundResourceList(resources, 'requests');
    }
  }
}

function defaultDownwardItems(source: JsonObject): void {
  for (const item of objects(source['items'])) {
    const fieldRef = object(item['fieldRef']);
    if (fieldRef) setIfEmpty(fieldRef, 'apiVersion', 'v1');
  }
}

/**
 * The pull policy the API server picks for an image: Always for the tag "latest" (which is
 * also what an image without tag or digest means), IfNotPresent otherwise — a digest, any other
 * tag, or a name that does not parse.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const { tag, digest } = splitImageReference(image);
  const effectiveTag = tag === undefined && digest === undefined ? 'latest' : tag;
  return effectiveTag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** The tag and digest of an image reference ("registry:5000/name:tag@sha256:..."). */
export function splitImageReference(image: string): { name: string; tag?: string; digest?: string } {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  // A colon after the last slash separates the tag; one before it belongs to a registry port.
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  let tag: string | undefined;
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/**
 * Writes each quantity of a resource list in its canonical form, rounded up to a thousandth as
 * the API server does ("0.0001" CPU becomes "1m"). Values that are not quantities are left for
 * validation to report.
 */
function roundResourceList(parent: JsonObject, key: string): void {
  const list = object(parent[key]);
  if (!list) return;
  for (const [name, value] of Object.entries(list)) {
    const text = typeof value === 'number' ? String(value) : value;
    if (typeof text !== 'string') continue;
    const quantity = Quantity.tryParse(text.trim());
    if (!quantity) continue;
    const milli = quantity.milliValue();
    const rounded = quantity.nanos % 1_000_000n === 0n ? quantity : Quantity.fromMilli(milli, quantity.format);
    list[name] = rounded.toString();
  }
}

function object(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

function objects(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter((v): v is JsonObject => object(v) !== undefined) : [];
}

function ensureObject(parent: JsonObject, key: string): JsonObject {
  const existing = object(parent[key]);
  if (existing) return existing;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function setIfEmpty(target: JsonObject, key: string, value: unknown): void {
  if (isEmpty(target[key])) target[key] = value;
}

function setIfAbsent(target: JsonObject, key: string, value: unknown): void {
  if (target[key] === undefined || target[key] === null) target[key] = value;
}

function setIfZero(target: JsonObject, key: string, value: number): void {
  if (target[key] === undefined || target[key] === null || target[key] === 0) target[key] = value;
}
