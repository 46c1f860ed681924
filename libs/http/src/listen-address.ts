/** Where a daemon listens: a TCP host and port, or a unix socket path (fleet's API also listens on one). */
export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export class InvalidListenAddressError extends Error {
  override name = 'InvalidListenAddressError';
  readonly code = 'MC_ERR_LISTEN_ADDRESS';
}

/**
 * Accepts the forms people write: `127.0.0.1:2379`, `http://127.0.0.1:2379`, `[::1]:2379`, `:2379`
 * (all interfaces is not allowed by default: loopback), `unix:///run/x.sock` or `/run/x.sock`.
 */
export function parseListenAddress(text: string): ListenAddress {
  const trimmed = text.trim();
  if (trimmed.startsWith('unix://')) return { kind: 'unix', path: trimmed.slice('unix://'.length) };
  if (trimmed.startsWith('/')) return { kind: 'unix', path: trimmed };
  const withoutScheme = trimmed.replace(/^https?:\/\//, '').replace(/\/$/, '');
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(withoutScheme);
  if (!match) throw new InvalidListenAddressError(`"${text}" is not a listen address: expected HOST:PORT, http://HOST:PORT or a unix socket path`);
  const host = match[1] ?? (match[2] || '127.0.0.1');
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidListenAddressError(`"${text}": port ${match[3]} is out of range 0-65535`);
  return { kind: 'tcp', host, port };
}

export function formatListenAddress(address: ListenAddress): string {
  if (address.kind === 'unix') return `unix://${address.path}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `http://${host}:${address.port}`;
}
