import { connect, type Socket } from 'node:net';

/** What the fuzzer saw for one request sent over a raw socket. */
export type RawOutcome =
  | { kind: 'answer'; status: number; head: string; body: string }
  | { kind: 'closed'; detail: string }
  | { kind: 'timeout' };

export interface RawRequest {
  method: string;
  target: string;
  headers: [string, string][];
  body: Buffer;
}

/** The request as bytes (Connection: close, Content-Length from the body unless the case sets its own). */
export function encodeRequest(request: RawRequest): Buffer {
  const lines = [`${request.method} ${request.target} HTTP/1.1`, 'Host: 127.0.0.1'];
  const names = new Set(request.headers.map(([name]) => name.toLowerCase()));
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  if (!names.has('connection')) lines.push('Connection: close');
  if (!names.has('content-length') && !names.has('transfer-encoding') && request.body.length > 0) lines.push(`Content-Length: ${request.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), request.body]);
}

/**
 * Sends bytes on a fresh socket and waits (bounded) for the status line and headers, then up to
 * `bodyWaitMs` for the body (a watch never ends its body: its headers are the answer).
 */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 10_000, bodyWaitMs = 300): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let settled = false;
    let bodyTimer: NodeJS.Timeout | undefined;
    const finish = (outcome?: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(bodyTimer);
      socket.destroy();
      resolve(outcome ?? parse(Buffer.concat(chunks)));
    };
    const parse = (data: Buffer, detail = 'connection closed without an answer'): RawOutcome => {
      const text = data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!match || end === -1) return { kind: 'closed', detail: text.length > 0 ? `partial answer: ${JSON.stringify(text.slice(0, 200))}` : detail };
      return { kind: 'answer', status: Number(match[1]), head: text.slice(0, end), body: text.slice(end + 4, end + 4 + 64 * 1024) };
    };
    const timer = setTimeout(() => {
      const data = Buffer.concat(chunks);
      const outcome = parse(data);
      finish(outcome.kind === 'answer' ? outcome : { kind: 'timeout' });
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (bodyTimer === undefined && Buffer.concat(chunks).includes('\r\n\r\n')) bodyTimer = setTimeout(() => finish(), bodyWaitMs);
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    // A server may answer (413, 431) and close before it has read a huge request: keep what it said.
    socket.on('error', (error: NodeJS.ErrnoException) => finish(parse(Buffer.concat(chunks), `socket error ${error.code ?? error.message}`)));
    socket.write(bytes);
  });
}

/**
 * A slow client: sends the start of a request one byte every `everyMs`, then stalls with the
 * socket open. `stalled` resolves once every byte is sent; `close` ends it.
 */
export function slowClient(port: number, partial: string, everyMs = 10): { stalled: Promise<void>; close: () => void } {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<void>((resolve) => {
    timer = setInterval(() => {
      if (i >= partial.length || socket.destroyed) {
        clearInterval(timer);
        return resolve();
      }
      socket.write(partial[i++] as string);
    }, everyMs);
  });
  return {
    stalled,
    close: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}
