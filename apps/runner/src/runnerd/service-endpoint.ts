import type { ContainerInspectInfo } from '@minicore/docker-engine';
import type { ServiceEndpoint } from '../api/index.js';
import type { AnnounceSpec } from '../spec/index.js';

const anyAddress = new Set(['', '0.0.0.0', '::']);

/**
 * Where other machines reach an announced port: its published host port when it is published (on
 * `advertiseHost` when it is bound to every interface), else the container's own address on its
 * network with the container port (reachable from this machine and its containers only).
 */
export function serviceEndpoint(info: ContainerInspectInfo, spec: AnnounceSpec, advertiseHost: string): Omit<ServiceEndpoint, 'container'> {
  const ports = (info.NetworkSettings?.Ports ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>;
  const bindings = (ports[`${spec.port}/tcp`] ?? []).filter((binding) => binding.HostPort);
  const binding = bindings.find((b) => !(b.HostIp ?? '').includes(':')) ?? bindings[0];
  if (binding) return { host: anyAddress.has(binding.HostIp ?? '') ? advertiseHost : binding.HostIp!, port: Number(binding.HostPort) };
  const networks = Object.values((info.NetworkSettings?.Networks ?? {}) as Record<string, { IPAddress?: string }>);
  const settings = info.NetworkSettings as { IPAddress?: string } | undefined;
  const address = settings?.IPAddress || networks.find((network) => network.IPAddress)?.IPAddress || advertiseHost;
  return { host: address, port: spec.port };
}

/** Whether the container may be announced now: it runs and, if it has a health check, passes it. */
export function readyToAnnounce(info: ContainerInspectInfo): boolean {
  if (!info.State.Running || info.State.Paused || info.State.Restarting) return false;
  const test = info.Config.Healthcheck?.Test;
  const hasCheck = Array.isArray(test) && test.length > 0 && test[0] !== 'NONE';
  return !hasCheck || info.State.Health?.Status === 'healthy';
}
