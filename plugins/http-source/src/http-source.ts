import {
  canonicalJson,
  decodeStaticPods,
  FirstSeenTimes,
  formatDuration,
  MAX_MANIFEST_BYTES,
  type Logger,
  type Pod,
  type PodSink,
} from '@kernelet/sdk';
import { redactURL } from './settings.js';

export interface HttpSourceOptions {
  /** staticPodURL. */
  url: URL;
  /** staticPodURLHeader: sent with every request, repeated names in order. */
  headers: Readonly<Record<string, readonly string[]>>;
  nodeName: string;
  /** httpCheckFrequency: time between the end of one fetch and the start of the next. */
  checkFrequencyMs: number;
  /** Deadline for the whole request, body included. */
  requestTimeoutMs: number;
  sink: PodSink;
  logger: Logger;
  /** Most bytes a response may hold (default MAX_MANIFEST_BYTES, upstream's limit). */
  maxBytes?: number;
  now?: () => Date;
}

/** A fetch that did not give a usable manifest; the previous set stays. */
class FetchFailure extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Failures logged at warn before they drop to debug, as upstream drops its verbosity after 3. */
const LOUD_FAILURES = 3;

/**
 * The static pods served at staticPodURL: one Pod, a PodList, or several YAML documents,
 * fetched every checkFrequencyMs. As upstream:
 * - the first successful fetch reports the set, and so marks the source seen;
 * - a failed fetch (network error, timeout, non-200 status, oversized body) changes nothing:
 *   the pods from the last good response keep running;
 * - a response that does not decode, or holds any invalid pod, is refused whole and changes
 *   nothing either; it is not decoded (nor logged) again until it changes;
 * - an empty body means no pods: the set becomes empty;
 * - a response equal to the previous one is not decoded again.
 */
export class HttpSource {
  private readonly seen: FirstSeenTimes;
  private readonly location: string;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private lastBody: Buffer | undefined;
  private lastSet: string | undefined;
  private failures = 0;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: HttpSourceOptions) {
    this.seen = new FirstSeenTimes(options.now);
    this.location = options.url.href;
  }

  start(): void {
    this.options.logger.info({ url: redactURL(this.options.url), checkFrequencyMs: this.options.checkFrequencyMs }, 'reading static pods from a URL');
    void this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    this.running = this.poll();
    await this.running;
    this.running = undefined;
    if (!this.stopped) this.timer = setTimeout(() => void this.loop(), this.options.checkFrequencyMs);
  }

  /** One fetch; never throws. */
  async poll(): Promise<void> {
    const { logger } = this.options;
    const url = redactURL(this.options.url);
    const started = Date.now();
    try {
      const body = await this.fetchBody();
      if (this.failures > 0) logger.info({ url, failures: this.failures }, 'reading static pods from the URL again');
      this.failures = 0;
      this.use(body);
    } catch (error) {
      if (this.stopped) return;
      this.failures++;
      const fields = { url, durationMs: Date.now() - started, failures: this.failures, ...(error instanceof FetchFailure ? error.fields : {}), err: (error as Error).message };
      if (this.failures <= LOUD_FAILURES) logger.warn(fields, 'cannot read static pods from the URL; keeping the pods it served last');
      else logger.debug(fields, 'cannot read static pods from the URL; keeping the pods it served last');
      if (this.failures === LOUD_FAILURES) logger.warn({ url }, 'further failures to read the static pod URL are logged at debug level');
    }
  }

  private use(body: Buffer): void {
    const { logger } = this.options;
    const url = redactURL(this.options.url);
    if (body.length === 0) {
      this.lastBody = body;
      logger.warn({ url }, 'the static pod URL returned an empty body; it now serves no pods');
      this.publish([]);
      return;
    }
    if (this.lastBody?.equals(body)) return;
    this.lastBody = body;
    const decoded = decodeStaticPods(body.toString('utf8'), { source: 'http', location: this.location, nodeName: this.options.nodeName, firstSeen: this.seen.firstSeen });
    const refusing = decoded.problems.filter((p) => p.reason !== 'DuplicatePod');
    for (const problem of decoded.problems) {
      const fields = { url, ...(problem.document !== undefined ? { document: problem.document } : {}), ...(problem.pod !== undefined ? { pod: problem.pod } : {}), reason: problem.reason, err: problem.message };
      if (problem.reason === 'DuplicatePod') logger.warn(fields, 'duplicate static pod ignored');
      else logger.warn(fields, 'static pod manifest refused');
    }
    if (refusing.length > 0) {
      logger.warn({ url, problems: refusing.length }, 'the static pod URL served an invalid manifest; keeping the pods it served last');
      return;
    }
    this.publish(decoded.pods);
  }

  private publish(pods: Pod[]): void {
    this.seen.retain(pods.map((pod) => pod.metadata?.uid ?? ''));
    const fingerprint = canonicalJson(pods);
    if (fingerprint === this.lastSet || this.stopped) return;
    this.lastSet = fingerprint;
    this.options.logger.info({ url: redactURL(this.options.url), pods: pods.map((pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`) }, 'static pods from the URL');
    this.options.sink.set(pods);
  }

  /** GETs the URL and reads the body, within the deadline and the size limit. */
  private async fetchBody(): Promise<Buffer> {
    const { requestTimeoutMs } = this.options;
    const maxBytes = this.options.maxBytes ?? MAX_MANIFEST_BYTES;
    const headers = new Headers();
    for (const [name, values] of Object.entries(this.options.headers)) for (const value of values) headers.append(name, value);
    const deadline = AbortSignal.timeout(requestTimeoutMs);
    const signal = AbortSignal.any([deadline, this.abort.signal]);
    const timedOut = () => new FetchFailure(`no complete response within ${formatDuration(requestTimeoutMs)}`, { deadlineMs: requestTimeoutMs });
    let response: Response;
    try {
      response = await fetch(this.options.url, { headers, signal, redirect: 'follow' });
    } catch (error) {
      if (deadline.aborted) throw timedOut();
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new FetchFailure(`request failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    try {
      if (response.status !== 200) {
        throw new FetchFailure(`the server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, { status: response.status });
      }
      const declared = Number(response.headers.get('content-length') ?? Number.NaN);
      if (declared > maxBytes) throw new FetchFailure(tooLarge(maxBytes), { contentLength: declared });
      const chunks: Uint8Array[] = [];
      let total = 0;
      if (response.body) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          total += chunk.byteLength;
          if (total > maxBytes) throw new FetchFailure(tooLarge(maxBytes));
          chunks.push(chunk);
        }
      }
      return Buffer.concat(chunks);
    } catch (error) {
      if (error instanceof FetchFailure) throw error;
      if (deadline.aborted) throw timedOut();
      throw new FetchFailure(`reading the response failed: ${(error as Error).message}`);
    } finally {
      if (!response.bodyUsed) await response.body?.cancel().catch(() => undefined);
    }
  }
}

function tooLarge(maxBytes: number): string {
  return `the response is larger than the ${maxBytes >= 1024 * 1024 ? `${maxBytes / 1024 / 1024} MiB` : `${maxBytes} bytes`} a manifest may hold`;
}
