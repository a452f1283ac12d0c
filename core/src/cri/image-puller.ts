import type { runtime } from '@kernelet/proto';
import type { Container, Pod } from '@kernelet/sdk/common';
import type { Logger } from '../logging/logger.js';
import type { Backoff } from '../pods/backoff.js';
import { errorText, grpcErrorText } from './cri-error.js';
import type { ImageService } from './runtime-service.js';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/**
 * Waiting reasons of upstream's image manager (pkg/kubelet/images/types.go, and the CRI's
 * RegistryUnavailable and SignatureValidationFailed, which a runtime may start its error with).
 */
export type ImageErrorReason = 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'ErrImageInspect' | 'InvalidImageName' | 'RegistryUnavailable' | 'SignatureValidationFailed';

/** Why a container's image is not there; the reason becomes the container's waiting reason. */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    readonly reason: ImageErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// A docker reference: [host[:port]/]path[:tag][@digest], lower-case path components.
const REFERENCE =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$/;

/**
 * The image name with ":latest" added when it names neither a tag nor a digest, as the kubelet
 * does before asking the runtime. Throws ImageError(InvalidImageName) for a malformed name.
 */
export function applyDefaultImageTag(image: string): string {
  if (!REFERENCE.test(image) || image.length > 4096) {
    throw new ImageError('InvalidImageName', `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`);
  }
  if (image.includes('@')) return image;
  const lastSlash = image.lastIndexOf('/');
  return image.slice(lastSlash + 1).includes(':') ? image : `${image}:latest`;
}

/** The API default: Always for ":latest" or no tag, else IfNotPresent. */
export function defaultPullPolicy(image: string): PullPolicy {
  if (image.includes('@')) return 'IfNotPresent';
  const name = image.slice(image.lastIndexOf('/') + 1);
  const colon = name.lastIndexOf(':');
  return colon < 0 || name.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * The reason and message of a failed pull (upstream evalCRIPullErr): the runtime's error as is
 * (ErrImagePull), unless it starts with the CRI's RegistryUnavailable or
 * SignatureValidationFailed, which become the reason of a message naming the image.
 */
export function pullErrorOf(requestedImage: string, errorText: string): { reason: ImageErrorReason; message: string } {
  for (const [reason, what] of [
    ['RegistryUnavailable', 'the registry is unavailable'],
    ['SignatureValidationFailed', 'the signature validation failed'],
  ] as const) {
    if (errorText.startsWith(reason)) return { reason, message: `image pull failed for ${requestedImage} because ${what}${errorText.slice(reason.length)}` };
  }
  return { reason: 'ErrImagePull', message: errorText };
}

/** Whether to pull (upstream shouldPullImage). */
export function shouldPullImage(policy: PullPolicy, present: boolean): boolean {
  if (policy === 'Never') return false;
  return policy === 'Always' || !present;
}

export interface ImagePullerOptions {
  /** serializeImagePulls: one pull at a time. */
  serialize: boolean;
  /** maxParallelImagePulls when not serialized (undefined: unlimited). */
  maxParallel?: number;
}

/**
 * Makes sure a container's image is present, by its pull policy (upstream imageManager
 * EnsureImageExists): IfNotPresent and Never ask ImageStatus first (Always pulls without
 * asking), IfNotPresent pulls only a missing image (a runtime's PullImage always goes to the
 * network), Never fails with ErrImageNeverPull, and a failed pull is retried only after a
 * backoff per pod and requested image, during which the container waits in ImagePullBackOff
 * with the last pull's error.
 *
 * Concurrent ImageStatus calls for the same image are coalesced: 100 pods of one image that
 * arrive together cost the runtime one call, not 100.
 */
export class ImagePuller {
  private readonly statusInFlight = new Map<string, Promise<runtime.Image | undefined>>();
  /** The last pull error by backoff key, "<reason>: <message>", shown during the backoff. */
  private readonly lastPullError = new Map<string, string>();
  private pullQueue: Promise<unknown> = Promise.resolve();
  private activePulls = 0;
  private readonly waitingPulls: (() => void)[] = [];

  constructor(
    private readonly images: ImageService,
    private readonly backoff: Backoff,
    private readonly options: ImagePullerOptions,
    private readonly logger: Logger,
  ) {}

  /** The image reference (ID) to create the container from. Throws ImageError. */
  async ensureImageExists(pod: Pod, container: Container, sandboxConfig?: runtime.PodSandboxConfig): Promise<string> {
    const requested = container.image ?? '';
    const image = applyDefaultImageTag(requested);
    const policy = (container.imagePullPolicy as PullPolicy | undefined) ?? defaultPullPolicy(requested);
    const spec: runtime.ImageSpec = { image, annotations: {}, userSpecifiedImage: requested, runtimeHandler: '', imageRef: '' };
    const podUID = pod.metadata?.uid ?? '';
    const log = { pod: podName(pod), podUID, containerName: container.name, image };

    if (policy !== 'Always') {
      let present: runtime.Image | undefined;
      try {
        present = await this.imageStatus(spec);
      } catch (error) {
        // Upstream names the image reference it failed to get, which is always empty here.
        throw new ImageError('ErrImageInspect', `Failed to inspect image "": ${grpcErrorText(error)}`, { cause: error });
      }
      if (present) return present.id;
      if (policy === 'Never') {
        const message = `Container image "${requested}" is not present with pull policy of Never`;
        this.logger.warn({ ...log, reason: 'ErrImageNeverPull' }, message);
        throw new ImageError('ErrImageNeverPull', message);
      }
    }

    const key = `${podUID}_${requested}`;
    if (this.backoff.isInBackOffSinceUpdate(key, Date.now())) {
      const last = this.lastPullError.get(key);
      throw new ImageError('ImagePullBackOff', `Back-off pulling image "${requested}"${last ? `: ${last}` : ''}`);
    }
    this.lastPullError.delete(key);
    this.logger.info(log, 'pulling image');
    const started = performance.now();
    try {
      const ref = await this.withPullSlot(() => this.images.pullImage(spec, sandboxConfig));
      this.logger.info({ ...log, imageRef: ref, durationMs: Math.round(performance.now() - started) }, 'image pulled');
      this.backoff.reset(key);
      if (ref !== '') return ref;
      const after = await this.imageStatus(spec);
      if (!after) throw new Error('the runtime reported the pull done but does not have the image');
      return after.id;
    } catch (error) {
      this.backoff.next(key, Date.now());
      const failure = pullErrorOf(requested, grpcErrorText(error, { stripUnknown: true }));
      this.lastPullError.set(key, `${failure.reason}: ${failure.message}`);
      this.logger.warn({ ...log, reason: failure.reason, err: errorText(error) }, 'image pull failed');
      throw new ImageError(failure.reason, failure.message, { cause: error });
    }
  }

  /** Forgets a pod's pull backoffs. */
  forgetPod(podUID: string): void {
    this.backoff.deletePrefix(`${podUID}_`);
    for (const key of this.lastPullError.keys()) if (key.startsWith(`${podUID}_`)) this.lastPullError.delete(key);
  }

  private imageStatus(spec: runtime.ImageSpec): Promise<runtime.Image | undefined> {
    const pending = this.statusInFlight.get(spec.image);
    if (pending) return pending;
    const call = this.images.imageStatus(spec).finally(() => this.statusInFlight.delete(spec.image));
    this.statusInFlight.set(spec.image, call);
    return call;
  }

  private async withPullSlot<T>(pull: () => Promise<T>): Promise<T> {
    if (this.options.serialize) {
      const run = this.pullQueue.then(pull, pull);
      this.pullQueue = run.catch(() => undefined);
      return run;
    }
    const max = this.options.maxParallel;
    if (max !== undefined && max > 0 && this.activePulls >= max) {
      await new Promise<void>((resolve) => this.waitingPulls.push(resolve));
    }
    this.activePulls++;
    try {
      return await pull();
    } finally {
      this.activePulls--;
      this.waitingPulls.shift()?.();
    }
  }
}

function podName(pod: Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}
