import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_CONFIG_FILE_BYTES } from './config-file.js';
import { renderConfigz } from './configz.js';
import { fixture, HEADER, loadOk, loadProblems, tempDir } from './fixtures.test-helpers.js';
import { isHelpRequested, isVersionRequested, loadAgentOptions } from './load-config.js';

/** Every leaf of a nested object by its dotted path. */
function flatten(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) Object.assign(out, flatten(item as Record<string, unknown>, `${prefix}${key}.`));
    else out[`${prefix}${key}`] = item;
  }
  return out;
}

describe('merge order: CLI feature gates < --config < drop-ins by name < other flags', () => {
  it('each later source wins over the earlier one', async () => {
    const dir = await tempDir({
      'kubelet.yaml': `${HEADER}maxPods: 10\nsyncFrequency: 10s\nport: 11111\nfeatureGates:\n  MemoryQoS: false\n`,
      'conf.d/20-b.conf': `${HEADER}syncFrequency: 30s\nport: 22222\n`,
      'conf.d/10-a.conf': `${HEADER}syncFrequency: 20s\nmaxPods: 20\n`,
    });
    const options = await loadOk([
      '--feature-gates=MemoryQoS=true,CPUManagerPolicyAlphaOptions=true',
      '--config', path.join(dir, 'kubelet.yaml'),
      '--config-dir', path.join(dir, 'conf.d'),
      '--port=33333',
    ]);
    expect(options.kubelet.maxPods).toBe(20); // drop-in 10-a over the file
    expect(options.kubelet.syncFrequency).toBe('30s'); // 20-b applied after 10-a
    expect(options.kubelet.port).toBe(33333); // the flag over everything
    // The file's gate beats the command line's; a gate only on the command line survives.
    expect(options.kubelet.featureGates).toEqual({ MemoryQoS: false, CPUManagerPolicyAlphaOptions: true });
    expect(options.featureGates['MemoryQoS']).toBe(false);
    expect(options.dropInFiles.map((f) => path.basename(f))).toEqual(['10-a.conf', '20-b.conf']);
  });

  it('loads a kubeadm node\'s command line, warning about what is deprecated or has no effect', async () => {
    const dir = await tempDir({ 'config.yaml': `${HEADER}cgroupDriver: systemd\nclusterDNS: [10.96.0.10]\nclusterDomain: cluster.local\n` });
    const options = await loadOk([
      '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf',
      '--kubeconfig=/etc/kubernetes/kubelet.conf',
      `--config=${path.join(dir, 'config.yaml')}`,
      '--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock',
      '--pod-infra-container-image=registry.k8s.io/pause:3.10',
      '--node-ip=10.0.0.5',
      '--register-with-taints=node-role.kubernetes.io/control-plane:NoSchedule',
    ]);
    expect(options.kubelet.containerRuntimeEndpoint).toBe('unix:///var/run/containerd/containerd.sock');
    expect(options.kubelet.registerWithTaints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    expect(options.flags).toMatchObject({ kubeconfig: '/etc/kubernetes/kubelet.conf', nodeIP: '10.0.0.5' });
    expect(options.warnings.map((w) => `${w.field}: ${w.message}`)).toEqual(
      expect.arrayContaining([
        '--bootstrap-kubeconfig: has no effect in kernelet',
        expect.stringMatching(/^--pod-infra-container-image: has no effect in kernelet \(deprecated upstream/),
        '--container-runtime-endpoint: deprecated: set containerRuntimeEndpoint in the --config file instead (the flag still works)',
        '--register-with-taints: deprecated: set registerWithTaints in the --config file instead (the flag still works)',
      ]),
    );
  });

  it('a map flag replaces the whole map from the files', async () => {
    const dir = await tempDir({ 'k.yaml': `${HEADER}kubeReserved:\n  cpu: 500m\n  memory: 1Gi\n` });
    const options = await loadOk(['--config', path.join(dir, 'k.yaml'), '--kube-reserved=memory=2Gi']);
    expect(options.kubelet.kubeReserved).toEqual({ memory: '2Gi' });
  });

  it('walks the drop-in directory like the kubelet: recursively, by name, only *.conf', async () => {
    const options = await loadOk(['--config', fixture('paths/kubelet.yaml'), '--config-dir', fixture('paths/conf.d')]);
    expect(options.dropInFiles.map((f) => path.relative(fixture('paths/conf.d'), f))).toEqual(['10-first.conf', '30-last.conf', 'nested/20-paths.conf']);
    expect(options.kubelet.maxPods).toBe(70);
    expect(options.warnings).toContainEqual({ field: '--config-dir', message: `${fixture('paths/conf.d/README.md')} ignored: only *.conf files are drop-ins` });
  });

  it('records which fields the operator set', async () => {
    const dir = await tempDir({ 'k.yaml': `${HEADER}maxPods: 10\n`, 'd/1.conf': `${HEADER}cgroupDriver: systemd\n` });
    const options = await loadOk(['--config', path.join(dir, 'k.yaml'), '--config-dir', path.join(dir, 'd'), '--container-runtime-endpoint=unix:///run/crio/crio.sock']);
    expect([...options.explicitFields].sort()).toEqual(['cgroupDriver', 'containerRuntimeEndpoint', 'maxPods']);
    const defaults = await loadOk([]);
    expect(defaults.explicitFields.has('containerRuntimeEndpoint')).toBe(false);
    expect(defaults.kubelet.containerRuntimeEndpoint).toBe('unix:///run/containerd/containerd.sock');
  });

  it('defaults the base before drop-ins, as the kubelet merges onto its defaulted config', async () => {
    const dir = await tempDir({ 'k.yaml': HEADER, 'd/1.conf': `${HEADER}evictionHard:\n  memory.available: 500Mi\nnodeStatusUpdateFrequency: 20s\n` });
    const options = await loadOk(['--config', path.join(dir, 'k.yaml'), '--config-dir', path.join(dir, 'd')]);
    // The drop-in's map merges into the default thresholds; the report frequency was defaulted already.
    expect(options.kubelet.evictionHard['memory.available']).toBe('500Mi');
    expect(options.kubelet.evictionHard['nodefs.available']).toBe('10%');
    expect(options.kubelet.nodeStatusReportFrequency).toBe('5m0s');
  });

  it('evictionHard in the file replaces the defaults unless mergeDefaultEvictionSettings', async () => {
    const dir = await tempDir({
      'only.yaml': `${HEADER}evictionHard:\n  memory.available: 200Mi\n`,
      'merge.yaml': `${HEADER}mergeDefaultEvictionSettings: true\nevictionHard:\n  memory.available: 200Mi\n`,
    });
    expect((await loadOk(['--config', path.join(dir, 'only.yaml')])).kubelet.evictionHard).toEqual({ 'memory.available': '200Mi' });
    expect((await loadOk(['--config', path.join(dir, 'merge.yaml')])).kubelet.evictionHard).toMatchObject({ 'memory.available': '200Mi', 'nodefs.available': '10%', 'imagefs.inodesFree': '5%' });
  });

  it.each<[string, Record<string, string>, (dir: string) => string[], Record<string, string>]>([
    [
      'a replacing --eviction-hard flag brings no defaults back, even with mergeDefaultEvictionSettings',
      { 'k.yaml': `${HEADER}mergeDefaultEvictionSettings: true\nevictionHard:\n  memory.available: 200Mi\n` },
      (dir) => ['--config', path.join(dir, 'k.yaml'), '--eviction-hard=memory.available<1Gi'],
      { 'memory.available': '1Gi' },
    ],
    [
      'mergeDefaultEvictionSettings in a drop-in does not merge the defaults',
      { 'k.yaml': `${HEADER}evictionHard:\n  nodefs.available: 5%\n`, 'd/1.conf': `${HEADER}mergeDefaultEvictionSettings: true\nevictionHard:\n  memory.available: 1Gi\n` },
      (dir) => ['--config', path.join(dir, 'k.yaml'), '--config-dir', path.join(dir, 'd')],
      { 'nodefs.available': '5%', 'memory.available': '1Gi' },
    ],
    [
      'mergeDefaultEvictionSettings in the file merges before the drop-ins apply',
      { 'k.yaml': `${HEADER}mergeDefaultEvictionSettings: true\nevictionHard:\n  memory.available: 200Mi\n`, 'd/1.conf': `${HEADER}evictionHard:\n  nodefs.available: 7%\n` },
      (dir) => ['--config', path.join(dir, 'k.yaml'), '--config-dir', path.join(dir, 'd')],
      { 'memory.available': '200Mi', 'nodefs.available': '7%', 'nodefs.inodesFree': '5%', 'imagefs.available': '15%', 'imagefs.inodesFree': '5%' },
    ],
    [
      'without --config the flag replaces the default thresholds',
      {},
      () => ['--eviction-hard=memory.available<1Gi'],
      { 'memory.available': '1Gi' },
    ],
    [
      'an empty --eviction-hard clears them',
      { 'k.yaml': `${HEADER}mergeDefaultEvictionSettings: true\n` },
      (dir) => ['--config', path.join(dir, 'k.yaml'), '--eviction-hard='],
      {},
    ],
  ])('mergeDefaultEvictionSettings applies to the --config file only: %s', async (_name, files, argv, want) => {
    const dir = await tempDir(files);
    expect((await loadOk(argv(dir))).kubelet.evictionHard).toEqual(want);
  });

  it('follows an explicit nodeStatusUpdateFrequency with the report frequency', async () => {
    const dir = await tempDir({ 'k.yaml': `${HEADER}nodeStatusUpdateFrequency: 20s\n` });
    expect((await loadOk(['--config', path.join(dir, 'k.yaml')])).kubelet.nodeStatusReportFrequency).toBe('20s');
  });
});

describe('paths', () => {
  it('resolve against the config file\'s directory; in drop-ins and flags against the working directory', async () => {
    const options = await loadOk(['--config', fixture('paths/kubelet.yaml'), '--config-dir', fixture('paths/conf.d'), '--tls-private-key-file', 'keys/k.pem', '--root-dir', 'state'], '/srv/node');
    expect(options.kubelet.staticPodPath).toBe(fixture('paths/manifests'));
    expect(options.kubelet.tlsCertFile).toBe(fixture('paths/pki/kubelet.crt'));
    expect(options.kubelet.authentication.x509?.clientCAFile).toBe(fixture('ca.crt'));
    // The kubelet does not resolve drop-in paths: "resolv.conf" is relative to its working directory.
    expect(options.kubelet.resolvConf).toBe('/srv/node/resolv.conf');
    expect(options.kubelet.tlsPrivateKeyFile).toBe('/srv/node/keys/k.pem');
    expect(options.flags.rootDir).toBe('/srv/node/state');
    expect(options.flags.config).toBe(fixture('paths/kubelet.yaml'));
  });

  it.each<[string, string, string]>([
    ['staticPodPath', 'staticPodPath: manifests\n', '/srv/node/manifests'],
    ['tlsCertFile', 'tlsCertFile: pki/kubelet.crt\n', '/srv/node/pki/kubelet.crt'],
    ['authentication.x509.clientCAFile', 'authentication:\n  x509:\n    clientCAFile: ../ca.crt\n', '/srv/ca.crt'],
    ['volumePluginDir', 'volumePluginDir: plugins\n', '/srv/node/plugins'],
    ['an absolute path stays', 'podLogsDir: /var/log/pods\n', '/var/log/pods'],
  ])('a relative %s in a drop-in is relative to the working directory, not the drop-in\'s', async (_name, body, want) => {
    const dir = await tempDir({ 'conf.d/10.conf': `${HEADER}${body}` });
    const options = await loadOk(['--config-dir', path.join(dir, 'conf.d')], '/srv/node');
    expect(Object.values(flatten(options.kubelet as unknown as Record<string, unknown>))).toContain(want);
  });

  it('resolves a relative --config against the working directory', async () => {
    const options = await loadOk(['--config', 'configz/minimal.yaml'], fixture(''));
    expect(options.flags.config).toBe(fixture('configz/minimal.yaml'));
  });
});

describe('defaults without --config are the command line\'s', () => {
  it('keeps the legacy flag defaults, and the v1beta1 defaults with a config file', async () => {
    const flagsOnly = await loadOk([]);
    expect(flagsOnly.kubelet.readOnlyPort).toBe(10255);
    expect(flagsOnly.kubelet.authentication.anonymous?.enabled).toBe(true);
    expect(flagsOnly.kubelet.authentication.webhook?.enabled).toBe(false);
    expect(flagsOnly.kubelet.authorization.mode).toBe('AlwaysAllow');
    const withFile = await loadOk(['--config', fixture('configz/minimal.yaml')]);
    expect(withFile.kubelet.readOnlyPort).toBeUndefined();
    expect(withFile.kubelet.authentication.anonymous?.enabled).toBe(false);
    expect(withFile.kubelet.authorization.mode).toBe('Webhook');
    expect(withFile.flags.rootDir).toBe('/var/lib/kubelet');
    expect(withFile.kernelet).toMatchObject({ pluginIsolation: 'shared', pluginCallTimeoutMs: 2000, plugins: [], dryRun: false });
  });
});

describe('unknown and duplicate fields follow the kubelet', () => {
  it('config file: unknown fields are ignored with a warning; duplicates warn and the last wins', async () => {
    const dir = await tempDir({ 'k.yaml': `${HEADER}maxPods: 10\nmaxPodz: 3\nMaxPods: 4\nauthentication:\n  x509:\n    clientCAFlie: /x\nmaxPods: 12\n` });
    const options = await loadOk(['--config', path.join(dir, 'k.yaml')]);
    expect(options.kubelet.maxPods).toBe(12);
    const warnings = options.warnings.map((w) => w.field);
    expect(warnings).toEqual(expect.arrayContaining(['maxPodz', 'MaxPods', 'authentication.x509.clientCAFlie', 'maxPods']));
    expect(options.warnings.find((w) => w.field === 'maxPods')?.message).toMatch(/duplicate field, the last value wins/);
    expect(options.warnings.find((w) => w.field === 'maxPodz')?.message).toMatch(/unknown field, ignored/);
  });

  it.each<[string, string]>([
    ['podHousekeepingPeriod (a proposal upstream never merged)', 'podHousekeepingPeriod: 5s\n'],
    ['tlsCurvePreferences (later releases only)', 'tlsCurvePreferences: [23, 29]\n'],
    ['memoryReservationPolicy (later releases only)', 'memoryReservationPolicy: TieredReservation\n'],
  ])('%s is not a v1.34 field: ignored with a warning in the config file and in drop-ins', async (_name, body) => {
    const field = body.slice(0, body.indexOf(':'));
    const dir = await tempDir({ 'k.yaml': `${HEADER}${body}`, 'conf.d/10.conf': `${HEADER}${body}` });
    const options = await loadOk(['--config', path.join(dir, 'k.yaml'), '--config-dir', path.join(dir, 'conf.d')]);
    expect(field in options.kubelet).toBe(false);
    expect(field in (JSON.parse(renderConfigz(options)) as { kubeletconfig: object }).kubeletconfig).toBe(false);
    expect(options.warnings.filter((w) => w.field === field).map((w) => w.message)).toEqual([
      `unknown field, ignored as the kubelet does (${path.join(dir, 'k.yaml')})`,
      `unknown field, ignored as the kubelet does (${path.join(dir, 'conf.d/10.conf')})`,
    ]);
  });

  it('drop-in: a duplicate field is an error; unknown fields are ignored with a warning', async () => {
    const dir = await tempDir({ 'dup/1.conf': `${HEADER}maxPods: 10\nmaxPods: 11\n`, 'unknown/1.conf': `${HEADER}bogus: 1\nmaxPods: 12\n` });
    const problems = await loadProblems(['--config-dir', path.join(dir, 'dup')]);
    expect(problems).toEqual([{ field: 'maxPods', message: `duplicate field in drop-in ${path.join(dir, 'dup/1.conf')}` }]);
    const options = await loadOk(['--config-dir', path.join(dir, 'unknown')]);
    expect(options.kubelet.maxPods).toBe(12);
    expect(options.warnings.find((w) => w.field === 'bogus')?.message).toMatch(/unknown field, ignored/);
  });

  it.each<[string, string, Record<string, unknown>]>([
    ['MaxPods loses to the serialized maxPods (which sorts after it)', 'MaxPods: 42\n', { maxPods: 110 }],
    ['maxpods sorts after maxPods and wins', 'maxpods: 42\n', { maxPods: 42 }],
    ['ClusterDomain sets the empty clusterDomain', 'ClusterDomain: cluster.local\n', { clusterDomain: 'cluster.local' }],
    ['a nested variant loses to the always-serialized struct field', 'authentication:\n  Anonymous:\n    enabled: false\n', { authentication: { anonymous: { enabled: true }, webhook: { enabled: false, cacheTTL: '2m0s' }, x509: {} } }],
  ])('drop-in field names that match only ignoring case, as the kubelet decodes them: %s', async (_name, body, want) => {
    const dir = await tempDir({ 'd/1.conf': `${HEADER}${body}` });
    const options = await loadOk(['--config-dir', path.join(dir, 'd')]);
    expect(options.kubelet).toMatchObject(want);
    expect(options.warnings.find((w) => /matches ".*" only ignoring case/.test(w.message))).toBeDefined();
  });

  it.each<[string, Record<string, string>, boolean, Record<string, unknown>]>([
    ['null in a drop-in removes the field, which is defaulted again', { 'k.yaml': `${HEADER}maxPods: 50\n`, 'd/1.conf': `${HEADER}maxPods: null\n` }, true, { maxPods: 110 }],
    ['null in a drop-in removes a feature gate', { 'k.yaml': `${HEADER}featureGates:\n  MemoryQoS: true\n  KubeletPSI: false\n`, 'd/1.conf': `${HEADER}featureGates:\n  MemoryQoS: null\n` }, true, { featureGates: { KubeletPSI: false } }],
    ['a zero in a drop-in is defaulted again', { 'k.yaml': `${HEADER}port: 11111\n`, 'd/1.conf': `${HEADER}port: 0\n` }, true, { port: 10250 }],
    ['an empty list in --config is not serialized, so with drop-ins it is defaulted', { 'k.yaml': `${HEADER}enforceNodeAllocatable: []\n`, 'd/1.conf': `${HEADER}maxPods: 10\n` }, true, { enforceNodeAllocatable: ['pods'] }],
    ['an empty list in --config stays without drop-ins', { 'k.yaml': `${HEADER}enforceNodeAllocatable: []\n` }, false, { enforceNodeAllocatable: [] }],
    ['a drop-in emptying a list keeps it empty', { 'k.yaml': HEADER, 'd/1.conf': `${HEADER}enforceNodeAllocatable: []\n` }, true, { enforceNodeAllocatable: [] }],
    ['the legacy flag defaults survive drop-ins without --config', { 'd/1.conf': `${HEADER}maxPods: 10\n` }, true, { readOnlyPort: 10255, authorization: { mode: 'AlwaysAllow' }, maxPods: 10 }],
  ])('drop-ins merge as a JSON merge patch into the serialized configuration: %s', async (_name, files, withDir, want) => {
    const dir = await tempDir(files);
    const argv = [...('k.yaml' in files ? ['--config', path.join(dir, 'k.yaml')] : []), ...(withDir ? ['--config-dir', path.join(dir, 'd')] : [])];
    expect((await loadOk(argv)).kubelet).toMatchObject(want);
  });
});

describe('the five-mistake configuration', () => {
  it('reports all five with field paths and offending values', async () => {
    const problems = await loadProblems(['--config', fixture('invalid/five-mistakes.yaml')]);
    const rendered = problems.map((p) => `${p.field}: ${p.message}`);
    expect(rendered).toHaveLength(5);
    expect(rendered).toEqual(
      expect.arrayContaining([
        'cpuManagerPolicy: unknown policy "statik" (valid: none, static)',
        'evictionHard[imagefs.available]: invalid quantity "10Q"',
        expect.stringMatching(/^reservedSystemCPUs: invalid cpuset "3-1"/),
        expect.stringMatching(/^syncFrequency: invalid duration "5minutes": unknown unit "minutes"/),
        'reservedMemory: sum of reserved memory on NUMA nodes (3Gi) does not equal kubeReserved+systemReserved+evictionHard (5220Mi)',
      ]),
    );
  });
});

describe('bad input is a clear error', () => {
  const cases: [string, Record<string, string>, (dir: string) => string[], string, RegExp][] = [
    ['empty file', { 'k.yaml': '' }, (d) => ['--config', `${d}/k.yaml`], '--config', /the file is empty/],
    ['only comments', { 'k.yaml': '# nothing\n' }, (d) => ['--config', `${d}/k.yaml`], '--config', /contains no configuration/],
    ['wrong kind', { 'k.yaml': 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: Pod\n' }, (d) => ['--config', `${d}/k.yaml`], 'kind', /"Pod" is not KubeletConfiguration/],
    ['missing kind', { 'k.yaml': 'apiVersion: kubelet.config.k8s.io/v1beta1\nmaxPods: 3\n' }, (d) => ['--config', `${d}/k.yaml`], 'kind', /missing/],
    ['wrong apiVersion', { 'k.yaml': 'apiVersion: kubelet.config.k8s.io/v1\nkind: KubeletConfiguration\n' }, (d) => ['--config', `${d}/k.yaml`], 'apiVersion', /"kubelet.config.k8s.io\/v1" is not supported/],
    ['a list, not a mapping', { 'k.yaml': '- a\n- b\n' }, (d) => ['--config', `${d}/k.yaml`], '--config', /expected a mapping .* got a list/],
    ['a scalar, not a mapping', { 'k.yaml': 'hello\n' }, (d) => ['--config', `${d}/k.yaml`], '--config', /expected a mapping .* got a string/],
    ['not YAML', { 'k.yaml': 'a: [1\n' }, (d) => ['--config', `${d}/k.yaml`], '--config', /invalid YAML/],
    ['missing file', {}, (d) => ['--config', `${d}/nope.yaml`], '--config', /no such file/],
    ['a directory as --config', { 'sub/x': '' }, (d) => ['--config', `${d}/sub`], '--config', /is a directory/],
    ['missing drop-in directory', {}, (d) => ['--config-dir', `${d}/nope`], '--config-dir', /cannot read drop-in directory/],
    ['drop-in without type meta', { 'd/1.conf': 'maxPods: 3\n' }, (d) => ['--config-dir', `${d}/d`], 'kind', /missing; a drop-in file must say kind/],
    ['string where an integer belongs', { 'k.yaml': `${HEADER}maxPods: "110"\n` }, (d) => ['--config', `${d}/k.yaml`], 'maxPods', /expected an integer, got string "110"/],
    ['unquoted number in a string map', { 'k.yaml': `${HEADER}kubeReserved:\n  cpu: 1\n` }, (d) => ['--config', `${d}/k.yaml`], 'kubeReserved[cpu]', /quote it/],
    ['duration as a number', { 'k.yaml': `${HEADER}syncFrequency: 60\n` }, (d) => ['--config', `${d}/k.yaml`], 'syncFrequency', /expected a duration string/],
    ['malformed quantity in a flag', {}, () => ['--kube-reserved=memory=10Q'], 'kubeReserved[memory]', /invalid quantity "10Q"/],
    ['malformed duration in a flag', {}, () => ['--sync-frequency=5minutes'], '--sync-frequency', /unknown unit "minutes"/],
    ['downward cpuset in a flag', {}, () => ['--reserved-cpus=3-1'], 'reservedSystemCPUs', /invalid cpuset "3-1"/],
    ['unknown feature gate', {}, () => ['--feature-gates=NoSuchGate=true'], '--feature-gates', /unknown feature gate "NoSuchGate"/],
    ['unknown feature gate in a file', { 'k.yaml': `${HEADER}featureGates:\n  Memoryqos: true\n` }, (d) => ['--config', `${d}/k.yaml`], 'featureGates[Memoryqos]', /unknown feature gate "Memoryqos" \(did you mean "MemoryQoS"\?\)/],
    ['locked feature gate', {}, () => ['--feature-gates=KubeletTracing=false'], '--feature-gates', /locked to true/],
    ['exit on contention without a lock file', {}, () => ['--exit-on-lock-contention'], '--exit-on-lock-contention', /no --lock-file/],
    ['bad node label', {}, () => ['--node-labels=kubernetes.io/role=master'], '--node-labels[kubernetes.io/role]', /kubernetes.io or k8s.io namespace/],
    ['bad plugin isolation', {}, () => ['--plugin-isolation=threads'], '--plugin-isolation', /unknown value "threads"/],
    ['bad plugin call timeout', {}, () => ['--plugin-call-timeout=0s'], '--plugin-call-timeout', /positive duration/],
  ];

  it.each(cases)('%s', async (_name, files, argv, field, message) => {
    const dir = await tempDir(files);
    const problems = await loadProblems(argv(dir));
    expect(problems.find((p) => p.field === field)?.message ?? JSON.stringify(problems)).toMatch(message);
  });

  it('refuses a huge file', async () => {
    const dir = await tempDir({ 'k.yaml': `${HEADER}#${'x'.repeat(MAX_CONFIG_FILE_BYTES)}\n` });
    const problems = await loadProblems(['--config', path.join(dir, 'k.yaml')]);
    expect(problems).toEqual([{ field: '--config', message: expect.stringMatching(/bytes are refused/) as unknown as string }]);
  });

  it('reports an unreadable drop-in and ignores files that are not *.conf', async () => {
    const dir = await tempDir({ 'd/10-ok.conf': `${HEADER}maxPods: 3\n`, 'd/notes.txt': 'not yaml: [' });
    await fs.symlink(path.join(dir, 'missing-target'), path.join(dir, 'd/20-broken.conf'));
    const result = await loadAgentOptions(['--config-dir', path.join(dir, 'd')], '/');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([{ field: '--config-dir', message: `cannot read ${path.join(dir, 'd/20-broken.conf')}: no such file or directory` }]);
    expect(result.warnings).toContainEqual({ field: '--config-dir', message: `${path.join(dir, 'd/notes.txt')} ignored: only *.conf files are drop-ins` });
  });

  it('detects --help', () => {
    expect(isHelpRequested(['--help'])).toBe(true);
    expect(isHelpRequested(['--max-pods=3'])).toBe(false);
  });

  it('detects --version, and runs the agent for --version=false', async () => {
    expect(isVersionRequested(['--version'])).toBe(true);
    expect(isVersionRequested(['--version=false'])).toBe(false);
    expect(isVersionRequested(['--max-pods=3'])).toBe(false);
    const loaded = await loadAgentOptions(['--version=false', '--max-pods=3'], '/');
    expect(loaded.ok && loaded.options.kubelet.maxPods).toBe(3);
  });
});
