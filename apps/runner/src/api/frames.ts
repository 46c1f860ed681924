import { Transform, type TransformCallback } from 'node:stream';

/**
 * The framing of runnerd's streaming answers (logs, attach, exec): one JSON object per line
 * (application/x-ndjson). Output is base64 so that any bytes survive; the last frame of an attach
 * or exec says how the process ended, or why runnerd could not tell.
 */
export type OutputFrame =
  | { stream: 'stdout' | 'stderr'; data: string }
  | { exit: ExitReport }
  | { error: { code: string; message: string } };

export interface ExitReport {
  code: number;
  oomKilled: boolean;
}

export const NDJSON = 'application/x-ndjson';

export function outputFrame(stream: 'stdout' | 'stderr', data: Buffer): string {
  return `${JSON.stringify({ stream, data: data.toString('base64') } satisfies OutputFrame)}\n`;
}

export function exitFrame(exit: ExitReport): string {
  return `${JSON.stringify({ exit } satisfies OutputFrame)}\n`;
}

export function errorFrame(code: string, message: string): string {
  return `${JSON.stringify({ error: { code, message } } satisfies OutputFrame)}\n`;
}

/** Reads frames back from a byte stream cut anywhere. */
export class FrameDecoder extends Transform {
  #pending = '';

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending += chunk.toString('utf8');
    const lines = this.#pending.split('\n');
    this.#pending = lines.pop() ?? '';
    try {
      for (const line of lines) if (line.trim() !== '') this.push(JSON.parse(line) as OutputFrame);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.#pending.trim() !== '') this.push(JSON.parse(this.#pending) as OutputFrame);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}
