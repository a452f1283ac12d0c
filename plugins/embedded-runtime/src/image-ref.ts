import { invalidArgument } from './errors.js';

/** A parsed image reference in the normalised form runtimes report ("docker.io/library/busybox:latest"). */
export interface ImageRef {
  /** domain/path */
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
  /** repository:tag, repository@digest or repository:tag@digest. */
  normalised: string;
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

/** True for an image id ("sha256:<64 hex>") rather than a name. */
export function isImageId(text: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(text);
}

/**
 * Parses a reference as docker and containerd do: no domain means docker.io, a single
 * path component on docker.io gets "library/", and no tag and no digest means ":latest".
 */
export function parseImageRef(text: string): ImageRef {
  if (text === '') throw invalidArgument('image reference is empty');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalidArgument(`invalid image reference "${text}": bad digest "${digest}"`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalidArgument(`invalid image reference "${text}": bad tag "${tag}"`);
  }
  const parts = rest.split('/');
  let domain = 'docker.io';
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    domain = first;
    parts.shift();
    if (!DOMAIN.test(domain)) throw invalidArgument(`invalid image reference "${text}": bad registry "${domain}"`);
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && parts.length === 1) parts.unshift('library');
  for (const part of parts) {
    if (!PATH_COMPONENT.test(part)) throw invalidArgument(`invalid image reference "${text}": bad repository path component "${part}"`);
  }
  const repository = `${domain}/${parts.join('/')}`;
  if (tag === undefined && digest === undefined) tag = 'latest';
  const normalised = `${repository}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
  return { repository, tag, digest, normalised };
}

/** A reversible file name for a reference: bytes outside [A-Za-z0-9._-] become %XX. */
export function refToDirName(normalised: string): string {
  return normalised.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
