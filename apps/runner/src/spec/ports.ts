import { SpecError } from './spec-error.js';

export interface PortBinding {
  /** Empty: every interface, as docker does. */
  hostIp: string;
  /** 0: the engine picks a free port. */
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

const expected = 'expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp|sctp], e.g. 8080:80 or 127.0.0.1:8080:80/tcp';

function port(text: string, spec: string, what: string, allowZero: boolean): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value > 65535 || value < (allowZero ? 0 : 1)) throw new SpecError(`invalid port spec "${spec}": ${what} "${text}" is not a port from 1 to 65535; ${expected}`);
  return value;
}

/** `-p/--publish` as docker reads it (one port per spec; ranges are not supported). */
export function parsePortSpec(spec: string): PortBinding {
  const [address, protocolText = 'tcp', extra] = spec.trim().split('/');
  if (extra !== undefined || !address) throw new SpecError(`invalid port spec "${spec}": ${expected}`);
  if (protocolText !== 'tcp' && protocolText !== 'udp' && protocolText !== 'sctp') throw new SpecError(`invalid port spec "${spec}": unknown protocol "${protocolText}"; ${expected}`);
  // An IPv6 host address is written in brackets: [::1]:8080:80.
  const ipv6 = /^\[([^\]]+)\]:(.*)$/.exec(address);
  const parts = ipv6 ? [ipv6[1] ?? '', ...(ipv6[2] ?? '').split(':')] : address.split(':');
  let hostIp = '';
  let hostPort = '';
  let containerPort: string;
  if (parts.length === 1) containerPort = parts[0] ?? '';
  else if (parts.length === 2) [hostPort, containerPort] = [parts[0] ?? '', parts[1] ?? ''];
  else if (parts.length === 3) [hostIp, hostPort, containerPort] = [parts[0] ?? '', parts[1] ?? '', parts[2] ?? ''];
  else throw new SpecError(`invalid port spec "${spec}": ${expected}`);
  if (hostIp !== '' && !/^[\d.]+$|:/.test(hostIp)) throw new SpecError(`invalid port spec "${spec}": "${hostIp}" is not an IP address; ${expected}`);
  return {
    hostIp,
    hostPort: hostPort === '' ? 0 : port(hostPort, spec, 'host port', false),
    containerPort: port(containerPort, spec, 'container port', false),
    protocol: protocolText,
  };
}

export function formatPortBinding(binding: PortBinding): string {
  const host = binding.hostIp.includes(':') ? `[${binding.hostIp}]` : binding.hostIp;
  const hostPart = binding.hostPort === 0 && host === '' ? '' : `${host ? `${host}:` : ''}${binding.hostPort || ''}:`;
  return `${hostPart}${binding.containerPort}/${binding.protocol}`;
}
