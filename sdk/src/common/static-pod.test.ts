import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Pod } from './k8s-types.js';
import { MAX_MANIFEST_BYTES, MAX_YAML_TOKENS } from './manifest-documents.js';
import {
  applyStaticPodDefaults,
  canonicalJson,
  CONFIG_HASH_ANNOTATION,
  CONFIG_SEEN_ANNOTATION,
  CONFIG_SOURCE_ANNOTATION,
  decodeStaticPods,
  dropDuplicateStaticPods,
  FirstSeenTimes,
  formatSeenTime,
  formatStaticPodProblem,
  staticPodName,
  type DecodeStaticPodsOptions,
  type StaticPodProblemReason,
} from './static-pod.js';

const FILE: DecodeStaticPodsOptions = { source: 'file', location: '/etc/kubernetes/manifests/web.yaml', nodeName: 'Node-A' };
const HTTP: DecodeStaticPodsOptions = { source: 'http', location: 'http://config.local/pods', nodeName: 'Node-A' };
const SEEN = '2024-05-06T07:08:09.123000000Z';
const fixed = { firstSeen: () => SEEN };

const WEB = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
    - name: main
      image: localhost/kernelet-test/busybox:v1
      command: ["sleep", "3600"]
`;

function decodeOne(text: string, options: DecodeStaticPodsOptions = FILE): Pod {
  const { pods, problems } = decodeStaticPods(text, { ...fixed, ...options });
  expect(problems).toEqual([]);
  expect(pods).toHaveLength(1);
  return pods[0] as Pod;
}

function uidOf(text: string, options: DecodeStaticPodsOptions = FILE): string {
  return decodeOne(text, options).metadata?.uid ?? '';
}

describe('a static pod from a manifest', () => {
  const pod = decodeOne(WEB);

  it('is named <name>-<node name in lower case>, in namespace default, bound to the node', () => {
    expect(pod.metadata?.name).toBe('web-node-a');
    expect(pod.metadata?.namespace).toBe('default');
    expect(pod.spec?.nodeName).toBe('Node-A');
    expect(staticPodName('etcd', 'Master-1')).toBe('etcd-master-1');
  });

  it('keeps a namespace the manifest names', () => {
    expect(decodeOne(WEB.replace('  name: web\n', '  name: web\n  namespace: kube-system\n')).metadata?.namespace).toBe('kube-system');
  });

  it('carries the config annotations: source, hash (= UID) and first-seen time', () => {
    expect(pod.metadata?.annotations).toEqual({
      [CONFIG_SOURCE_ANNOTATION]: 'file',
      [CONFIG_HASH_ANNOTATION]: pod.metadata?.uid,
      [CONFIG_SEEN_ANNOTATION]: SEEN,
    });
    expect(decodeOne(WEB, HTTP).metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION]).toBe('http');
  });

  it('has a 32-hex-digit UID, is Pending, keeps its labels and gets the API defaults', () => {
    expect(pod.metadata?.uid).toMatch(/^[0-9a-f]{32}$/);
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.metadata?.labels).toEqual({ app: 'web' });
    expect(pod.spec?.restartPolicy).toBe('Always');
    expect(pod.spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
  });

  // Upstream's static pods never meet the API server's Priority admission plugin.
  it.each([WEB, WEB.replace('spec:\n', 'spec:\n  priorityClassName: system-node-critical\n')])('has no priority or preemptionPolicy (%#)', (text) => {
    const decoded = decodeOne(text);
    expect(decoded.spec?.priority).toBeUndefined();
    expect(decoded.spec?.preemptionPolicy).toBeUndefined();
  });

  it('tolerates every NoExecute taint when it comes from a file, not from a URL', () => {
    expect(pod.spec?.tolerations).toEqual([{ operator: 'Exists', effect: 'NoExecute' }]);
    expect(decodeOne(WEB, HTTP).spec?.tolerations).toBeUndefined();
    const own = decodeOne(WEB.replace('spec:\n', 'spec:\n  tolerations: [{key: k, operator: Exists}]\n'));
    expect(own.spec?.tolerations).toEqual([{ key: 'k', operator: 'Exists' }, { operator: 'Exists', effect: 'NoExecute' }]);
    const already = decodeOne(WEB.replace('spec:\n', 'spec:\n  tolerations: [{operator: Exists, effect: NoExecute}]\n'));
    expect(already.spec?.tolerations).toHaveLength(1);
  });

  it('reads JSON as well as YAML', () => {
    const json = JSON.stringify(parse(WEB));
    expect(decodeOne(json).metadata?.uid).toBe(pod.metadata?.uid);
  });
});

describe('static pod UIDs', () => {
  const base = uidOf(WEB);

  it.each([
    ['reading the same text again', WEB],
    ['comments and blank lines', `# the web server\n\n${WEB}\n# end\n`],
    ['other key order and flow style', `kind: Pod\napiVersion: v1\nspec: {containers: [{image: "localhost/kernelet-test/busybox:v1", name: main, command: [sleep, "3600"]}]}\nmetadata: {labels: {app: web}, name: web}\n`],
    ['defaults written out', WEB.replace('spec:\n', 'spec:\n  restartPolicy: Always\n  dnsPolicy: ClusterFirst\n')],
  ])('stay the same for %s', (_name, text) => {
    expect(uidOf(text)).toBe(base);
  });

  it.each([
    ['another image', WEB.replace('busybox:v1', 'busybox:v2')],
    ['another command', WEB.replace('"3600"', '"60"')],
    ['another label', WEB.replace('app: web', 'app: api')],
    ['a non-default restartPolicy', WEB.replace('spec:\n', 'spec:\n  restartPolicy: Never\n')],
  ])('change with %s', (_name, text) => {
    expect(uidOf(text)).not.toBe(base);
  });

  it('depend on the file, the node and the source', () => {
    expect(uidOf(WEB, { ...FILE, location: '/etc/kubernetes/manifests/other.yaml' })).not.toBe(base);
    expect(uidOf(WEB, { ...FILE, nodeName: 'node-b' })).not.toBe(base);
    const fromUrl = uidOf(WEB, HTTP);
    expect(fromUrl).not.toBe(base);
    // A URL's pods depend on the URL only, not on the node.
    expect(uidOf(WEB, { ...HTTP, nodeName: 'node-b' })).toBe(fromUrl);
    expect(uidOf(WEB, { ...HTTP, location: 'http://config.local/other' })).not.toBe(fromUrl);
  });

  it('are the manifest own when it sets one', () => {
    const pod = decodeOne(WEB.replace('  name: web\n', '  name: web\n  uid: 1234\n'.replace('1234', '"fixed-uid"')));
    expect(pod.metadata?.uid).toBe('fixed-uid');
    expect(pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION]).toBe('fixed-uid');
  });
});

describe('kinds of manifest', () => {
  it('reads several documents, skipping empty ones', () => {
    const text = `---\n${WEB}---\n---\n${WEB.replace('name: web', 'name: api')}---\n`;
    const { pods, problems } = decodeStaticPods(text, FILE);
    expect(problems).toEqual([]);
    expect(pods.map((p) => p.metadata?.name)).toEqual(['web-node-a', 'api-node-a']);
  });

  it('reads a PodList from a URL, items without kind or apiVersion included', () => {
    const list = { apiVersion: 'v1', kind: 'PodList', items: [parse(WEB), { ...parse(WEB), metadata: { name: 'api' }, kind: undefined, apiVersion: undefined }] };
    const { pods, problems } = decodeStaticPods(JSON.stringify(list), HTTP);
    expect(problems).toEqual([]);
    expect(pods.map((p) => p.metadata?.name)).toEqual(['web-node-a', 'api-node-a']);
  });

  it('reads an empty PodList as no pods', () => {
    expect(decodeStaticPods('{"apiVersion":"v1","kind":"PodList","items":[]}', HTTP)).toEqual({ pods: [], problems: [] });
  });

  it('keeps the good documents of a file when another is bad, naming the bad one', () => {
    const text = `${WEB}---\napiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec: {containers: [{name: c}]}\n`;
    const { pods, problems } = decodeStaticPods(text, FILE);
    expect(pods.map((p) => p.metadata?.name)).toEqual(['web-node-a']);
    expect(problems).toEqual([expect.objectContaining({ location: FILE.location, document: 2, pod: 'broken', reason: 'InvalidPod' })]);
    expect(formatStaticPodProblem(problems[0]!)).toMatch(/^\/etc\/kubernetes\/manifests\/web.yaml, document 2, pod broken: invalid pod: spec.containers\[0\].image: required/);
  });

  it('drops the second of two pods of the same name in one manifest', () => {
    const { pods, problems } = decodeStaticPods(`${WEB}---\n${WEB.replace('sleep', 'true')}`, FILE);
    expect(pods).toHaveLength(1);
    expect(pods[0]?.spec?.containers[0]?.command).toEqual(['sleep', '3600']);
    expect(problems).toEqual([expect.objectContaining({ reason: 'DuplicatePod', message: expect.stringContaining('appears twice in this manifest') })]);
  });
});

interface ProblemCase {
  name: string;
  source?: 'file' | 'http';
  manifest: string;
  reason: StaticPodProblemReason;
  message: string;
}

const problemCases = parse(readFileSync(new URL('./fixtures/static-pod-problems.yaml', import.meta.url), 'utf8')) as ProblemCase[];

describe('manifests refused', () => {
  it.each(problemCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const options = c.source === 'http' ? HTTP : FILE;
    const { pods, problems } = decodeStaticPods(c.manifest, options);
    expect(pods).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ location: options.location, reason: c.reason });
    expect(problems[0]?.message).toContain(c.message);
  });

  it('refuses a YAML bomb quickly', () => {
    const bomb = problemCases.find((c) => c.name === 'a billion laughs')?.manifest ?? '';
    const started = performance.now();
    expect(decodeStaticPods(bomb, FILE).problems[0]?.message).toContain('YAML aliases');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it.each([
    ['flow nesting', '['.repeat(5000) + ']'.repeat(5000), 'more than 100 levels deep'],
    ['JSON nesting', '{"a":'.repeat(5000) + '1' + '}'.repeat(5000), 'nested 101 levels deep'],
    ['too many YAML tokens', 'a: [' + '1,'.repeat(MAX_YAML_TOKENS) + '1]', `more than ${MAX_YAML_TOKENS} YAML tokens`],
    ['more than 10 MiB', `# ${'x'.repeat(MAX_MANIFEST_BYTES)}\n${WEB}`, 'more than the 10 MiB'],
  ])('refuses %s quickly', (_name, text, message) => {
    const started = performance.now();
    const { pods, problems } = decodeStaticPods(text, FILE);
    expect(pods).toEqual([]);
    expect(problems[0]).toMatchObject({ reason: 'MalformedManifest' });
    expect(problems[0]?.message).toContain(message);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('applyStaticPodDefaults', () => {
  it('takes one parsed manifest, as the simulator has it', () => {
    const result = applyStaticPodDefaults(parse(WEB), { source: 'file', location: 'web.yaml', nodeName: 'n1', firstSeen: () => SEEN });
    expect(result.ok && result.pod.metadata?.name).toBe('web-n1');
  });

  it('lists every problem at once', () => {
    const result = applyStaticPodDefaults({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'A' }, { name: 'A', image: ' busybox' }] } }, FILE);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual([
      expect.stringContaining('spec.containers[0].name: invalid value "A"'),
      'spec.containers[0].image: required: every container needs an image',
      expect.stringContaining('spec.containers[1].name: invalid value "A"'),
      'spec.containers[1].name: duplicate container name "A" (also spec.containers[0])',
      'spec.containers[1].image: invalid value " busybox": must not have leading or trailing whitespace',
    ]);
  });
});

describe('helpers', () => {
  it('keeps the first pod of each name, naming where the kept one came from', () => {
    const a = decodeOne(WEB);
    const b = decodeOne(WEB, { ...FILE, location: '/m/b.yaml' });
    const { pods, duplicates } = dropDuplicateStaticPods([
      { pod: a, location: '/m/a.yaml' },
      { pod: b, location: '/m/b.yaml' },
    ]);
    expect(pods).toEqual([a]);
    expect(duplicates).toEqual([{ pod: b, location: '/m/b.yaml', keptFrom: '/m/a.yaml' }]);
  });

  it('remembers first-seen times per UID until told to forget them', () => {
    let now = new Date('2024-01-01T00:00:00Z');
    const times = new FirstSeenTimes(() => now);
    expect(times.firstSeen('u1')).toBe('2024-01-01T00:00:00.000000000Z');
    now = new Date('2024-01-01T00:00:05.5Z');
    expect(times.firstSeen('u1')).toBe('2024-01-01T00:00:00.000000000Z');
    times.retain(['u2']);
    expect(times.firstSeen('u1')).toBe('2024-01-01T00:00:05.500000000Z');
    expect(formatSeenTime(new Date(0))).toBe('1970-01-01T00:00:00.000000000Z');
  });

  it('prints canonical JSON with sorted keys', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });
});

describe('the example static pods', () => {
  const dir = new URL('../../../examples/static-pods/', import.meta.url);
  const files = readdirSync(dir).filter((name) => name.endsWith('.yaml'));

  it.each(files)('%s decodes without a problem', (name) => {
    const { pods, problems } = decodeStaticPods(readFileSync(new URL(name, dir), 'utf8'), { ...FILE, location: join('/examples', name) });
    expect(problems).toEqual([]);
    expect(pods.length).toBeGreaterThan(0);
  });
});
