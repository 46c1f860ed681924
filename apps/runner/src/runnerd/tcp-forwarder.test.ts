import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@minicore/log';
import { TcpForwarder, targetOf } from './tcp-forwarder.js';

const logger = createLogger({ name: 'test', level: 'silent' });

async function echoServer(prefix: string): Promise<Server> {
  const server = createServer((socket) => socket.on('data', (data) => socket.write(`${prefix}${data.toString()}`)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

async function roundTrip(port: number, text: string): Promise<string> {
  const { createConnection } = await import('node:net');
  const socket = createConnection({ host: '127.0.0.1', port });
  socket.write(text);
  const [data] = (await Promise.race([once(socket, 'data'), once(socket, 'close').then(() => [Buffer.from('<closed>')])])) as [Buffer];
  socket.destroy();
  return data.toString();
}

describe('TcpForwarder', () => {
  const cleanup: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('pipes connections to the first target that accepts, both ways', async () => {
    const upstream = await echoServer('echo:');
    cleanup.push(() => new Promise((resolve) => upstream.close(resolve)));
    // A port nobody listens on comes first: the forwarder falls over to the next target.
    const closed = await echoServer('x');
    const deadPort = portOf(closed);
    await new Promise((resolve) => closed.close(resolve));
    const forwarder = await TcpForwarder.listen('127.0.0.1', 0, [{ host: '127.0.0.1', port: deadPort }, { host: '127.0.0.1', port: portOf(upstream) }], logger);
    cleanup.push(() => forwarder.close());
    expect(await roundTrip(forwarder.address.port, 'hello')).toBe('echo:hello');
    expect(await roundTrip(forwarder.address.port, 'again')).toBe('echo:again');
  });

  it('closes the client when no target accepts, and refuses an address in use', async () => {
    const closed = await echoServer('x');
    const deadPort = portOf(closed);
    await new Promise((resolve) => closed.close(resolve));
    const forwarder = await TcpForwarder.listen('127.0.0.1', 0, [{ host: '127.0.0.1', port: deadPort }], logger);
    cleanup.push(() => forwarder.close());
    expect(await roundTrip(forwarder.address.port, 'hello')).toBe('<closed>');
    await expect(TcpForwarder.listen('127.0.0.1', forwarder.address.port, [{ host: '127.0.0.1', port: deadPort }], logger)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('reads targets from kv client URLs', () => {
    expect(targetOf('http://127.0.0.1:2379')).toEqual({ host: '127.0.0.1', port: 2379 });
    expect(targetOf('http://[::1]:4001/')).toEqual({ host: '::1', port: 4001 });
    expect(targetOf('http://kv.local')).toEqual({ host: 'kv.local', port: 80 });
  });
});
