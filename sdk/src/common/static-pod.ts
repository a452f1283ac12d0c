/**
 * Static pods: pods the node reads from manifests (a directory of files, a URL) rather than
 * from the API server, given the identity and defaults upstream's kubelet gives them:
 *
 * - the API server's defaults (see pod-defaults.ts) and its validation (pod-validation.ts);
 * - the name suffixed with "-<node name in lower case>", namespace "default" when none;
 * - `spec.nodeName` = the node; `status.phase` = Pending;
 * - a UID derived from the defaulted manifest, the node name and the file path (or from the
 *   URL), unless the manifest sets one. Upstream hashes its Go structs, which cannot be
 *   reproduced here; ours is the SHA-256 of the manifest's canonical JSON (keys sorted) plus the
 *   same node and location text, cut to upstream's 32 hex digits. It is stable: an unchanged
 *   manifest keeps its UID across reads and restarts, and any change to the manifest (or a move
 *   to another file) makes a new UID, so the agent sees a new pod. Writing a default out
 *   explicitly ("restartPolicy: Always") changes nothing.
 * - annotations `kubernetes.io/config.source` (file or http), `kubernetes.io/config.hash` (the
 *   UID) and `kubernetes.io/config.seen` (when this version was first seen);
 * - for pods from files, a toleration of every NoExecute taint, so node problems do not evict them;
 * - no references to API objects (secrets, config maps, service accounts, claims...), which a
 *   static pod cannot resolve (upstream's PreventStaticPodAPIReferences, on by default).
 *
 * Everything here is pure: text in, pods and problems out.
 */
import { createHash } from 'node:crypto';
import type { Pod } from './k8s-types.js';
import { readManifestDocuments } from './manifest-documents.js';
import { applyPodDefaults } from './pod-defaults.js';
import { checkPodShape, describeValue, validatePod } from './pod-validation.js';

export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';
export const CONFIG_MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
export const NAMESPACE_DEFAULT = 'default';

/** Where a static pod came from: the value of its config.source annotation. */
export type StaticPodSource = 'file' | 'http';

export interface StaticPodOptions {
  source: StaticPodSource;
  /** The manifest's file path (file source) or the URL (http source); part of the UID. */
  location: string;
  nodeName: string;
  /**
   * When this version of the pod (this UID) was first seen, as config.seen wants it; defaults to
   * now. A source that reads the same manifest again passes the time it first saw the UID.
   */
  firstSeen?: (uid: string) => string;
}

export type StaticPodResult = { ok: true; pod: Pod } | { ok: false; errors: string[] };

/**
 * Gives a pod manifest (one document's JSON value) the identity and defaults of a static pod,
 * or says why it cannot run: wrong field types, no name, invalid after defaulting, or
 * references to API objects.
 */
export function applyStaticPodDefaults(manifest: unknown, options: StaticPodOptions): StaticPodResult {
  if (!isObject(manifest)) return { ok: false, errors: [`want a Pod mapping, got ${describeValue(manifest)}`] };
  const shapeErrors = checkPodShape(manifest);
  if (shapeErrors.length > 0) return { ok: false, errors: shapeErrors };
  const name = (manifest['metadata'] as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || name === '') return { ok: false, errors: ['metadata.name: required: a static pod needs a name'] };

  const pod = applyPodDefaults(manifest as Pod);
  const draft = pod as unknown as { metadata: Record<string, unknown>; spec: NonNullable<Pod['spec']>; status?: Record<string, unknown> };
  const metadata = draft.metadata;
  const uid = typeof metadata['uid'] === 'string' && metadata['uid'] !== '' ? metadata['uid'] : staticPodUID(pod, options);
  metadata['uid'] = uid;
  metadata['name'] = staticPodName(name, options.nodeName);
  if (!metadata['namespace']) metadata['namespace'] = NAMESPACE_DEFAULT;
  draft.spec.nodeName = options.nodeName;
  metadata['annotations'] = {
    ...(metadata['annotations'] as Record<string, string> | undefined),
    [CONFIG_HASH_ANNOTATION]: uid,
    [CONFIG_SOURCE_ANNOTATION]: options.source,
    [CONFIG_SEEN_ANNOTATION]: options.firstSeen?.(uid) ?? formatSeenTime(new Date()),
  };
  if (options.source === 'file') tolerateAllNoExecute(draft.spec);
  draft.status = { ...draft.status, phase: 'Pending' };

  const errors = validatePod(pod, { forbidEphemeralContainers: true });
  const reference = apiObjectReference(pod);
  if (reference) errors.push(`spec: static pods may not reference ${reference}`);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, pod };
}

/** "<name>-<node name in lower case>", as upstream names static pods. */
export function staticPodName(name: string, nodeName: string): string {
  return `${name}-${nodeName.toLowerCase()}`;
}

/**
 * The UID of a static pod whose manifest sets none: 32 hex digits from the API-defaulted pod
 * (before the static changes), the node name and the file path, or the URL. See the module
 * comment for how it differs from upstream's.
 */
export function staticPodUID(defaultedPod: Pod, options: Pick<StaticPodOptions, 'source' | 'location' | 'nodeName'>): string {
  const hash = createHash('sha256');
  hash.update(canonicalJson(defaultedPod));
  if (options.source === 'file') hash.update(`\nhost:${options.nodeName}\nfile:${options.location}`);
  else hash.update(`\nurl:${options.location}`);
  return hash.digest('hex').slice(0, 32);
}

/** JSON with every object's keys sorted, so equal values always print the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (!isObject(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = item[key];
    return sorted;
  });
}

/** A time as config.seen holds it: RFC 3339 with nine fraction digits, in UTC. */
export function formatSeenTime(time: Date): string {
  return time.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** Remembers when each UID was first seen, for config.seen; forget what is gone with retain(). */
export class FirstSeenTimes {
  private readonly times = new Map<string, string>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  readonly firstSeen = (uid: string): string => {
    let time = this.times.get(uid);
    if (time === undefined) {
      time = formatSeenTime(this.now());
      this.times.set(uid, time);
    }
    return time;
  };

  /** Forgets every UID not in the list. */
  retain(uids: Iterable<string>): void {
    const keep = new Set(uids);
    for (const uid of this.times.keys()) if (!keep.has(uid)) this.times.delete(uid);
  }
}

/** The toleration upstream gives pods from files: tolerate every NoExecute taint. */
function tolerateAllNoExecute(spec: NonNullable<Pod['spec']>): void {
  const tolerations = spec.tolerations ?? [];
  const present = tolerations.some((t) => !t.key && t.operator === 'Exists' && !t.value && t.effect === 'NoExecute' && t.tolerationSeconds === undefined);
  if (!present) spec.tolerations = [...tolerations, { operator: 'Exists', effect: 'NoExecute' }];
}

/**
 * The kind of API object a pod references, as upstream names it ("secrets", "configmaps
 * (via projected volumes)"...), or undefined when it references none.
 */
export function apiObjectReference(pod: Pod): string | undefined {
  const spec = pod.spec;
  if (!spec) return undefined;
  if (spec.serviceAccountName || (spec as { serviceAccount?: string }).serviceAccount) return 'serviceaccounts';
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  if ((spec.imagePullSecrets ?? []).length > 0) return 'secrets';
  for (const c of containers) {
    if ((c.envFrom ?? []).some((e) => e.secretRef) || (c.env ?? []).some((e) => e.valueFrom?.secretKeyRef)) return 'secrets';
  }
  for (const volume of spec.volumes ?? []) {
    if (volume.secret) return 'secrets';
    if (volume.azureFile) return 'secrets (via azureFile volumes)';
  }
  for (const c of containers) {
    if ((c.envFrom ?? []).some((e) => e.configMapRef) || (c.env ?? []).some((e) => e.valueFrom?.configMapKeyRef)) return 'configmaps';
  }
  for (const volume of spec.volumes ?? []) if (volume.configMap) return 'configmaps';
  if ((spec.resourceClaims ?? []).length > 0) return 'resourceclaims';
  for (const volume of spec.volumes ?? []) {
    if (volume.persistentVolumeClaim) return 'persistentvolumeclaims';
    if (volume.ephemeral) return 'persistentvolumeclaims (via ephemeral volumes)';
    if (volume.glusterfs) return 'endpoints (via glusterFS volumes)';
    for (const source of volume.projected?.sources ?? []) {
      if (source.configMap) return 'configmaps (via projected volumes)';
      if (source.secret) return 'secrets (via projected volumes)';
      if (source.serviceAccountToken) return 'serviceaccounts (via projected volumes)';
      if (source.clusterTrustBundle) return 'clustertrustbundles';
      if ((source as { podCertificate?: unknown }).podCertificate) return 'podcertificates';
    }
  }
  return undefined;
}

/** Upstream's pod full name, "<name>_<namespace>": what must be unique within one source. */
export function podFullName(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}`;
}

// ---------------------------------------------------------------------------------------------
// Decoding

export type StaticPodProblemReason =
  /** Not readable: empty, too large, not YAML/JSON, a YAML bomb. */
  | 'MalformedManifest'
  /** Readable, but not a Pod (another kind, no kind, a PodList where only pods are read). */
  | 'NotAPod'
  /** A pod the API server would refuse, or one a static pod may not be. */
  | 'InvalidPod'
  /** Same name and namespace as an earlier pod of the source; the earlier one is kept. */
  | 'DuplicatePod';

export interface StaticPodProblem {
  /** The file path or URL. */
  location: string;
  /** 1-based index of the document in the file, when there are several or the problem is in one. */
  document?: number;
  /** The pod's name as the manifest writes it, when known. */
  pod?: string;
  reason: StaticPodProblemReason;
  message: string;
}

export interface DecodeStaticPodsOptions extends StaticPodOptions {
  /** Whether `kind: PodList` is accepted (upstream reads lists from URLs only; default: http yes, file no). */
  allowPodList?: boolean;
}

export interface DecodedStaticPods {
  pods: Pod[];
  problems: StaticPodProblem[];
}

/**
 * Decodes the static pods of a manifest: YAML or JSON, one or several documents, each a `kind:
 * Pod` (or, from a URL, a `kind: PodList`), each given applyStaticPodDefaults. Problems name the
 * location, the document and the pod; the pods of other documents are still returned. Later
 * pods with the name of an earlier one are dropped as duplicates.
 */
export function decodeStaticPods(text: string, options: DecodeStaticPodsOptions): DecodedStaticPods {
  const allowPodList = options.allowPodList ?? options.source === 'http';
  const { location } = options;
  const problems: StaticPodProblem[] = [];
  const pods: Pod[] = [];
  if (looksLikeHtml(text)) {
    return { pods, problems: [{ location, reason: 'NotAPod', message: `not a Pod manifest: ${label(options)} is an HTML page` }] };
  }
  const read = readManifestDocuments(text);
  const several = read.documents.length + read.errors.length > 1;
  for (const error of read.errors) {
    const where = several && error.document !== undefined ? { document: error.document } : {};
    problems.push({ location, ...where, reason: 'MalformedManifest', message: `${label(options)} ${error.message}` });
  }
  for (const { index, value } of read.documents) {
    const where = several ? { document: index } : {};
    const manifests = manifestsOf(value, allowPodList);
    if ('problem' in manifests) {
      problems.push({ location, ...where, reason: 'NotAPod', message: manifests.problem });
      continue;
    }
    for (const manifest of manifests.pods) {
      const podName = nameOf(manifest);
      const result = applyStaticPodDefaults(manifest, options);
      if (result.ok) pods.push(result.pod);
      else problems.push({ location, ...where, ...(podName !== undefined ? { pod: podName } : {}), reason: 'InvalidPod', message: `invalid pod: ${result.errors.join('; ')}` });
    }
  }
  const unique = dropDuplicateStaticPods(pods.map((pod) => ({ pod, location })));
  for (const duplicate of unique.duplicates) problems.push(duplicateProblem(duplicate));
  return { pods: unique.pods, problems };
}

export interface LocatedPod {
  pod: Pod;
  /** The file or URL it came from. */
  location: string;
}

export interface DuplicateStaticPod extends LocatedPod {
  /** Where the pod that was kept came from. */
  keptFrom: string;
}

/**
 * Keeps the first pod of each full name (name and namespace) in the order given and drops
 * the later ones, as upstream's pod config does within one source.
 */
export function dropDuplicateStaticPods(entries: readonly LocatedPod[]): { pods: Pod[]; duplicates: DuplicateStaticPod[] } {
  const seen = new Map<string, string>();
  const pods: Pod[] = [];
  const duplicates: DuplicateStaticPod[] = [];
  for (const entry of entries) {
    const key = podFullName(entry.pod);
    const keptFrom = seen.get(key);
    if (keptFrom !== undefined) duplicates.push({ ...entry, keptFrom });
    else {
      seen.set(key, entry.location);
      pods.push(entry.pod);
    }
  }
  return { pods, duplicates };
}

/** The problem to report for a dropped duplicate. */
export function duplicateProblem(duplicate: DuplicateStaticPod): StaticPodProblem {
  const { namespace = NAMESPACE_DEFAULT, name = '' } = duplicate.pod.metadata ?? {};
  const same = duplicate.keptFrom === duplicate.location;
  return {
    location: duplicate.location,
    pod: name,
    reason: 'DuplicatePod',
    message: same
      ? `pod ${namespace}/${name} appears twice in this manifest; the first one is kept`
      : `pod ${namespace}/${name} is also defined in ${duplicate.keptFrom}, which is kept; this one is ignored`,
  };
}

/** "<location>[, document N][, pod NAME]: <message>", for logs and events. */
export function formatStaticPodProblem(problem: StaticPodProblem): string {
  const where = [problem.location, problem.document !== undefined ? `document ${problem.document}` : undefined, problem.pod !== undefined ? `pod ${problem.pod}` : undefined]
    .filter((part) => part !== undefined)
    .join(', ');
  return `${where}: ${problem.message}`;
}

function label(options: DecodeStaticPodsOptions): string {
  return options.source === 'file' ? 'the manifest' : 'the response';
}

function manifestsOf(value: unknown, allowPodList: boolean): { pods: unknown[] } | { problem: string } {
  if (!isObject(value)) return { problem: `not a Pod manifest: the document is ${describeValue(value)}, not a mapping with kind: Pod` };
  const kind = value['kind'];
  const apiVersion = value['apiVersion'];
  if (kind === undefined || kind === null || kind === '') return { problem: 'not a Pod manifest: it has no kind (want kind: Pod and apiVersion: v1)' };
  if (kind !== 'Pod' && kind !== 'PodList') return { problem: `not a Pod manifest: kind is ${JSON.stringify(kind)} (want Pod)` };
  if (apiVersion !== 'v1') return { problem: `not a Pod manifest: apiVersion is ${apiVersion === undefined ? 'missing' : JSON.stringify(apiVersion)} for kind ${String(kind)} (want v1)` };
  if (kind === 'Pod') return { pods: [value] };
  if (!allowPodList) return { problem: 'kind PodList is read only from a URL (staticPodURL); in a file, write each pod as its own YAML document' };
  const items = value['items'];
  if (items !== undefined && items !== null && !Array.isArray(items)) return { problem: `not a PodList: items is ${describeValue(items)}, not a list` };
  const pods: unknown[] = [];
  for (const [i, item] of (Array.isArray(items) ? items : []).entries()) {
    if (!isObject(item)) return { problem: `not a PodList: items[${i}] is ${describeValue(item)}, not a pod` };
    if ((item['kind'] !== undefined && item['kind'] !== 'Pod') || (item['apiVersion'] !== undefined && item['apiVersion'] !== 'v1')) {
      return { problem: `not a PodList: items[${i}] is kind ${JSON.stringify(item['kind'])} apiVersion ${JSON.stringify(item['apiVersion'])} (want Pod, v1)` };
    }
    pods.push(item);
  }
  return { pods };
}

function nameOf(manifest: unknown): string | undefined {
  const name = isObject(manifest) && isObject(manifest['metadata']) ? manifest['metadata']['name'] : undefined;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function looksLikeHtml(text: string): boolean {
  return /^\s*<(!doctype|html|head|body|\?xml|!--|[a-z]+[\s>])/i.test(text);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
