import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

/**
 * Downloads the payload into `file`, resuming with `Range: bytes=<have>-` after a cut (a 200 to a
 * range request starts over), then checks the size (11) and the sha256 (10). A transfer that
 * keeps failing is 9. Returns whether any part was resumed.
 */
export async function downloadPayload(options: DownloadOptions): Promise<{ resumed: boolean }> {
  const attempts = options.maxAttempts ?? 10;
  let resumed = false;
  let lastError = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    const have = await sizeOf(options.file);
    if (have >= options.size) break;
    const url = options.urls[attempt % options.urls.length]!;
    try {
      const response = await fetch(url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal: AbortSignal.timeout(options.timeoutMs ?? 10 * 60_000) });
      // 416 to a resume: the server has no more bytes than we do, the size check below decides.
      if (response.status === 416 && have > 0) {
        await response.body?.cancel();
        break;
      }
      if (response.status !== 200 && response.status !== 206) {
        await response.body?.cancel();
        lastError = `HTTP ${response.status} from ${url}`;
        continue;
      }
      const append = response.status === 206 && have > 0;
      if (append) resumed = true;
      if (!response.body) throw new Error('empty body');
      let received = append ? have : 0;
      const counted = async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          received += chunk.length;
          options.onProgress?.(received);
          yield chunk;
        }
      };
      const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
      const sink = createWriteStream(options.file, { flags: append ? 'a' : 'w' });
      if (options.maxBytesPerSecond) await pipeline(body, throttle(options.maxBytesPerSecond), counted, sink);
      else await pipeline(body, counted, sink);
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
  const hash = createHash('sha256');
  await pipeline(createReadStream(options.file), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) hash.update(chunk);
  });
  if (hash.digest('base64') !== options.sha256) {
    await rm(options.file, { force: true });
    throw new UpdateFailure(ErrorCode.PayloadHashMismatchError, 'payload sha256 does not match the update server’s', resumed);
  }
  return { resumed };
}
