#!/usr/bin/env node
// Builds a one-layer OCI image archive from a root filesystem directory, with no registry and no
// container tooling: deterministic tar of the rootfs (sha256 = diff_id), gzip (sha256 = layer
// digest), image config, manifest, index.json (annotation io.containerd.image.name = reference)
// and oci-layout, all packed in one tar that `ctr images import` reads.
//
// The same rootfs content and spec always give the same digests: entries are sorted bytewise,
// mtimes are 0, owners are 0:0 with empty names, modes are normalised (directories 0755, files
// 0755 when executable else 0644, symlinks 0777; sticky/setuid bits kept), and JSON is written
// with a fixed key order.
//
// Usage: node build-oci-image.mjs --spec image.json --rootfs DIR --out image.tar
// spec: {"reference": "localhost/x/y:tag", "config": {OCI image config "config" object}}
// Prints one JSON line on stdout: {reference, manifestDigest, configDigest, layerDigest, diffId, ...}.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { arch, exit, stderr, stdout } from 'node:process';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const MEDIA_INDEX = 'application/vnd.oci.image.index.v1+json';
const MEDIA_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MEDIA_CONFIG = 'application/vnd.oci.image.config.v1+json';
const MEDIA_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const EPOCH = '1970-01-01T00:00:00Z';
const ARCH = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

function fail(message) {
  stderr.write(`build-oci-image: ${message}\n`);
  exit(2);
}

const sha256 = (buf) => `sha256:${createHash('sha256').update(buf).digest('hex')}`;

// ---- tar (ustar, with a PAX header for names that do not fit) ----

function octal(value, width) {
  // width includes the terminating NUL
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header({ name, type, size = 0, mode, linkname = '' }) {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime
  h.write('        ', 148, 'ascii'); // checksum placeholder
  h.write(type, 156, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(octal(0, 8), 329, 'ascii'); // devmajor
  h.write(octal(0, 8), 337, 'ascii'); // devminor
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

function pad(size) {
  const rest = size % 512;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(512 - rest);
}

function paxRecord(key, value) {
  // "<len> <key>=<value>\n" where <len> counts itself
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len += 1;
  return `${len}${body}`;
}

/** entries: [{name, type: '0'|'2'|'5', mode, data?: Buffer, linkname?}] already in final order. */
function tar(entries) {
  const parts = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const linkname = e.linkname ?? '';
    let records = '';
    if (Buffer.byteLength(e.name) > 100) records += paxRecord('path', e.name);
    if (Buffer.byteLength(linkname) > 100) records += paxRecord('linkpath', linkname);
    if (records) {
      const pax = Buffer.from(records, 'utf8');
      parts.push(header({ name: 'PaxHeader', type: 'x', size: pax.length, mode: 0o644 }), pax, pad(pax.length));
    }
    parts.push(
      header({ name: e.name.slice(0, 100), type: e.type, size: data.length, mode: e.mode, linkname: linkname.slice(0, 100) }),
    );
    if (data.length > 0) parts.push(data, pad(data.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

// ---- rootfs walk ----

function normalisedMode(kind, mode) {
  const special = mode & 0o7000;
  if (kind === 'dir') return 0o755 | special;
  if (kind === 'link') return 0o777;
  return ((mode & 0o111) !== 0 ? 0o755 : 0o644) | special;
}

function walk(root) {
  const entries = [];
  const visit = (rel) => {
    const names = readdirSync(join(root, rel)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const n of names) {
      const path = rel ? `${rel}/${n}` : n;
      const abs = join(root, path);
      const st = lstatSync(abs);
      if (st.isDirectory()) {
        entries.push({ name: `${path}/`, type: '5', mode: normalisedMode('dir', st.mode) });
        visit(path);
      } else if (st.isSymbolicLink()) {
        entries.push({ name: path, type: '2', mode: normalisedMode('link', st.mode), linkname: readlinkSync(abs) });
      } else if (st.isFile()) {
        entries.push({ name: path, type: '0', mode: normalisedMode('file', st.mode), data: readFileSync(abs) });
      } else {
        fail(`${abs}: only directories, regular files and symlinks go into an image`);
      }
    }
  };
  visit('');
  return entries;
}

// ---- main ----

const { values } = parseArgs({
  options: { spec: { type: 'string' }, rootfs: { type: 'string' }, out: { type: 'string' } },
  strict: true,
});
if (!values.spec || !values.rootfs || !values.out) fail('usage: --spec image.json --rootfs DIR --out image.tar');

const spec = JSON.parse(readFileSync(values.spec, 'utf8'));
const reference = spec.reference;
if (typeof reference !== 'string' || !/^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+:[A-Za-z0-9._-]+$/.test(reference)) {
  fail(`spec ${values.spec}: reference ${JSON.stringify(reference)} is not a full "host/path:tag" reference`);
}
const architecture = ARCH[arch] ?? fail(`unsupported architecture ${arch}`);

const layerTar = tar(walk(values.rootfs));
const diffId = sha256(layerTar);
const layerGz = gzipSync(layerTar, { level: 9 });
const layerDigest = sha256(layerGz);

const config = Buffer.from(
  JSON.stringify({
    created: EPOCH,
    architecture,
    os: 'linux',
    config: spec.config ?? {},
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: EPOCH, created_by: 'kernelet scripts/containerd/build-oci-image.mjs', comment: reference }],
  }),
);
const configDigest = sha256(config);

const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_MANIFEST,
    config: { mediaType: MEDIA_CONFIG, digest: configDigest, size: config.length },
    layers: [{ mediaType: MEDIA_LAYER, digest: layerDigest, size: layerGz.length }],
  }),
);
const manifestDigest = sha256(manifest);

const tag = reference.slice(reference.lastIndexOf(':') + 1);
const index = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_INDEX,
    manifests: [
      {
        mediaType: MEDIA_MANIFEST,
        digest: manifestDigest,
        size: manifest.length,
        annotations: { 'io.containerd.image.name': reference, 'org.opencontainers.image.ref.name': tag },
        platform: { architecture, os: 'linux' },
      },
    ],
  }),
);

const blob = (digest) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
const blobs = [
  { name: blob(configDigest), data: config },
  { name: blob(layerDigest), data: layerGz },
  { name: blob(manifestDigest), data: manifest },
].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const archive = tar([
  { name: 'blobs/', type: '5', mode: 0o755 },
  { name: 'blobs/sha256/', type: '5', mode: 0o755 },
  ...blobs.map((b) => ({ ...b, type: '0', mode: 0o644 })),
  { name: 'index.json', type: '0', mode: 0o644, data: index },
  { name: 'oci-layout', type: '0', mode: 0o644, data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
]);
writeFileSync(`${values.out}.tmp`, archive);
renameSync(`${values.out}.tmp`, values.out);

stdout.write(
  `${JSON.stringify({
    reference,
    manifestDigest,
    configDigest,
    layerDigest,
    diffId,
    layerSize: layerGz.length,
    rootfsSize: layerTar.length,
    archiveDigest: sha256(archive),
  })}\n`,
);
