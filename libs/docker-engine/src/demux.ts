import { Transform, type TransformCallback } from 'node:stream';

export type OutputStreamName = 'stdout' | 'stderr';

/** One piece of a container's output, from its stdout or its stderr. */
export interface OutputChunk {
  stream: OutputStreamName;
  data: Buffer;
}

const HEADER = 8;

/**
 * Splits the engine's multiplexed output (non-TTY attach, logs and exec) into chunks: each frame is
 * an 8-byte header (stream type; 3 zero bytes; big-endian payload size) followed by the payload.
 * Frames arrive cut at arbitrary places, so bytes wait in a buffer until a whole frame is there.
 * Written out rather than using modem.demuxStream so that it is an object stream callers can
 * iterate, and so that it is testable without an engine.
 */
export class OutputDemuxer extends Transform {
  #pending: Buffer = Buffer.alloc(0);

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (this.#pending.length >= HEADER) {
      const type = this.#pending[0];
      const size = this.#pending.readUInt32BE(4);
      if (this.#pending.length < HEADER + size) break;
      const data = this.#pending.subarray(HEADER, HEADER + size);
      this.#pending = this.#pending.subarray(HEADER + size);
      // 0 is stdin (echoed with TTY-less attach of stdin): not container output, dropped.
      if (type === 1 || type === 2) this.push({ stream: type === 1 ? 'stdout' : 'stderr', data: Buffer.from(data) } satisfies OutputChunk);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // A truncated trailing frame means the engine dropped the connection mid-write: keep what came.
    if (this.#pending.length > HEADER) this.push({ stream: this.#pending[0] === 2 ? 'stderr' : 'stdout', data: Buffer.from(this.#pending.subarray(HEADER)) } satisfies OutputChunk);
    callback();
  }
}

/** Encodes a chunk the way the engine does (for tests of code that reads engine output). */
export function encodeFrame(chunk: OutputChunk): Buffer {
  const header = Buffer.alloc(HEADER);
  header[0] = chunk.stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(chunk.data.length, 4);
  return Buffer.concat([header, chunk.data]);
}
