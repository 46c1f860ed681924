import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ErrorCode } from '@minicore/omaha';

/** A failed update step with update_engine's error code; `resumed` adds the Resumed flag bit. */
export class UpdateFailure extends Error {
  override name = 'UpdateFailure';
  constructor(
    readonly errorCode: number,
    message: string,
    readonly resumed = false,
  ) {
    super(message);
  }
}

/**
 * Gets every byte of the payload in order from the first one as the transfer goes (an install
 * unpacks while it downloads). `write` is awaited, so a slow sink slows the transfer; a sink
 * that rejects is dropped and the download goes on (its owner knows why it failed).
 */
export interface PayloadSink {
  write(chunk: Buffer): Promise<void>;
  /** The transfer started over from the first byte after the sink had some: it cannot follow. */
  abandon(): void;
}

export interface DownloadOptions {
  urls: readonly string[];
  file: string;
  size: number;
  /** base64, from the postinstall action. */
  sha256: string;
  /** Attempts across the URL list before giving up (update_engine: MaxFailureCountPerUrl). */
  maxAttempts?: number;
  timeoutMs?: number;
  /** Bytes on disk so far, after each chunk (D-Bus progress). */
  onProgress?: (received: number) => void;
  /** The transfer is complete; size and hash checks start (UPDATE_STATUS_VERIFYING). */
  onVerifying?: () => void;
  /** Cap on the transfer rate in bytes per second (updaterd --max-download-rate); none by default. */
  maxBytesPerSecond?: number;
  /** Also hand the payload's bytes to this sink, in order, as they arrive. */
  sink?: PayloadSink;
}

/**
 * Holds the stream back so that it never runs ahead of `bytesPerSecond` over the transfer so far
 * (a token bucket with a burst of a quarter second), which spaces the reads out instead of
 * letting the network and the disk see the payload at full speed.
 */
export function throttle(bytesPerSecond: number): (chunks: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return async function* (chunks) {
    const burst = Math.max(16 * 1024, bytesPerSecond / 4);
    let allowance = burst;
    let last = performance.now();
    for await (const chunk of chunks) {
      for (let offset = 0; offset < chunk.length; ) {
        const now = performance.now();
        allowance = Math.min(burst, allowance + ((now - last) / 1000) * bytesPerSecond);
        last = now;
        // Wait for a useful piece rather than trickling out single bytes.
        const want = Math.min(chunk.length - offset, 16 * 1024, burst);
        if (allowance < want) {
          await new Promise((resolve) => setTimeout(resolve, Math.ceil(((want - allowance) / bytesPerSecond) * 1000)));
          continue;
        }
        const take = Math.min(chunk.length - offset, Math.floor(allowance));
        allowance -= take;
        yield chunk.subarray(offset, offset + take);
        offset += take;
      }
    }
  };
}

async function sizeOf(file: string): Promise<number> {
  return stat(file).then(
    (info) => info.size,
    () => 0,
  );
}

const MAX_REDIRECTS = 5;

/**
 * GET with node's own HTTP client rather than fetch: for a payload of a hundred megabytes and more
 * it takes about half the CPU (no web streams in between). Follows redirects as fetch did; the
 * timeout covers the whole transfer.
 */
async function get(url: string, headers: Record<string, string>, timeoutMs: number, redirects = 0): Promise<IncomingMessage> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
  if (!send) throw new Error(`unsupported payload URL ${url}`);
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = send(target, { headers, signal: AbortSignal.timeout(timeoutMs) }, resolve);
    request.once('error', reject);
    request.end();
  });
  const location = response.headers.location;
  if (response.statusCode !== undefined && response.statusCode >= 300 && response.statusCode < 400 && location) {
    response.destroy();
    if (redirects >= MAX_REDIRECTS) throw new Error(`too many redirects from ${url}`);
    return get(new URL(location, target).toString(), headers, timeoutMs, redirects + 1);
  }
  return response;
}

/** Reads of the payload file (the part already on disk before a resume). */
const READ_CHUNK = 1024 * 1024;

/**
 * The payload's sha256 and the sink, fed with the bytes of the file in order as they reach it, so
 * that the file is never read again to hash it. `hashed` is how far they got; what reached the
 * file beyond that (a transfer cut after a write) is caught up from the file.
 */
class PayloadTap {
  hash = createHash('sha256');
  hashed = 0;

  constructor(
    readonly file: string,
    private sink: PayloadSink | undefined,
  ) {}

  async feed(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.hashed += chunk.length;
    if (!this.sink) return;
    try {
      await this.sink.write(chunk);
    } catch {
      this.sink = undefined;
    }
  }

  /** Brings hash and sink up to the bytes on disk; returns them. */
  async catchUp(): Promise<number> {
    const have = await sizeOf(this.file);
    if (have < this.hashed) {
      // The file lost bytes it had (a failed write): start over.
      await rm(this.file, { force: true });
      this.startOver();
      return 0;
    }
    if (have > this.hashed) {
      for await (const chunk of createReadStream(this.file, { start: this.hashed, end: have - 1, highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) await this.feed(chunk);
    }
    return have;
  }

  startOver(): void {
    this.hash = createHash('sha256');
    if (this.hashed > 0) {
      this.sink?.abandon();
      this.sink = undefined;
    }
    this.hashed = 0;
  }
}

/** Writes the transfer's chunks to the file and the tap, in order; the file is complete when it resolves. */
async function receive(chunks: AsyncIterable<Buffer>, file: string, append: boolean, tap: PayloadTap, onChunk: () => void): Promise<void> {
  const out = createWriteStream(file, { flags: append ? 'a' : 'w', highWaterMark: READ_CHUNK });
  const closed = new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.once('close', resolve);
  });
  closed.catch(() => undefined); // awaited below; this only keeps an early write error from being "unhandled"
  try {
    for await (const chunk of chunks) {
      out.write(chunk);
      await tap.feed(chunk);
      onChunk();
      // Asked after the feed: the file may have drained meanwhile.
      if (out.writableNeedDrain) await Promise.race([once(out, 'drain'), closed]);
    }
  } finally {
    // Whatever was written reaches the file, also when the transfer broke off (the next attempt resumes there).
    out.end();
    await closed;
  }
}

/**
 * Downloads the payload into `file`, resuming with `Range: bytes=<have>-` after a cut (a 200 to a
 * range request starts over), then checks the size (11) and the sha256 (10), hashed as the bytes
 * arrive. A transfer that keeps failing is 9. Returns whether any part was resumed.
 */
export async function downloadPayload(options: DownloadOptions): Promise<{ resumed: boolean }> {
  const attempts = options.maxAttempts ?? 10;
  const tap = new PayloadTap(options.file, options.sink);
  let resumed = false;
  let lastError = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    let have: number;
    try {
      have = await tap.catchUp();
    } catch (error) {
      lastError = (error as Error).message;
      continue;
    }
    if (have >= options.size) break;
    const url = options.urls[attempt % options.urls.length]!;
    try {
      const response = await get(url, have > 0 ? { range: `bytes=${have}-` } : {}, options.timeoutMs ?? 10 * 60_000);
      // 416 to a resume: the server has no more bytes than we do, the size check below decides.
      if (response.statusCode === 416 && have > 0) {
        response.destroy();
        break;
      }
      if (response.statusCode !== 200 && response.statusCode !== 206) {
        response.destroy();
        lastError = `HTTP ${response.statusCode} from ${url}`;
        continue;
      }
      const append = response.statusCode === 206 && have > 0;
      if (append) resumed = true;
      else tap.startOver();
      const body: AsyncIterable<Buffer> = response;
      const chunks = options.maxBytesPerSecond ? throttle(options.maxBytesPerSecond)(body) : body;
      await receive(chunks, options.file, append, tap, () => options.onProgress?.(tap.hashed));
    } catch (error) {
      lastError = (error as Error).message;
    }
  }
  const got = await sizeOf(options.file);
  if (got >= options.size) options.onVerifying?.();
  if (got < options.size && lastError) throw new UpdateFailure(ErrorCode.DownloadTransferError, `download failed: ${lastError}`, resumed);
  if (got !== options.size) {
    await rm(options.file, { force: true });
    throw new UpdateFailure(ErrorCode.PayloadSizeMismatchError, `payload is ${got} bytes, the server said ${options.size}`, resumed);
  }
  if (tap.hashed !== got) await tap.catchUp();
  if (tap.hash.digest('base64') !== options.sha256) {
    await rm(options.file, { force: true });
    throw new UpdateFailure(ErrorCode.PayloadHashMismatchError, 'payload sha256 does not match the update server’s', resumed);
  }
  return { resumed };
}
