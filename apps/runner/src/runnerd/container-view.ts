import type { ContainerInspectInfo } from '@minicore/docker-engine';
import type { ContainerDetails, ContainerSummary } from '../api/index.js';
import { formatAnnounceSpec, formatRestartPolicy, parseAnnounceLabel, parseRestartPolicy } from '../spec/index.js';
import { RunnerLabel, userLabels } from '@minicore/runner-labels';
import type { SupervisionView } from './supervisor.js';

const never = '0001-01-01T00:00:00Z';

function time(text: string | undefined): string | null {
  return !text || text.startsWith('0001-') || text === never ? null : text;
}

function ports(info: ContainerInspectInfo): string[] {
  const bindings = info.HostConfig.PortBindings as Record<string, { HostIp?: string; HostPort?: string }[] | null> | undefined;
  const live = info.NetworkSettings.Ports as Record<string, { HostIp?: string; HostPort?: string }[] | null> | undefined;
  const result: string[] = [];
  for (const [containerPort, hosts] of Object.entries(live && Object.keys(live).length > 0 ? live : (bindings ?? {}))) {
    for (const host of hosts ?? []) result.push(`${host.HostIp ? `${host.HostIp}:` : ''}${host.HostPort ?? ''}->${containerPort}`);
  }
  return result;
}

/** The one-word-plus status people read in `runctl ps`. */
export function describeStatus(info: ContainerInspectInfo, supervision: SupervisionView | undefined, now = Date.now()): string {
  const state = info.State;
  if (state.Running) return state.Restarting ? 'restarting' : 'running';
  if (supervision?.nextRestartAt) {
    const seconds = Math.max(0, Math.ceil((supervision.nextRestartAt - now) / 1000));
    return `exited (${state.ExitCode}${state.OOMKilled ? ', OOM-killed' : ''}), restarting in ${seconds}s`;
  }
  if (state.Status === 'created') return 'created';
  const oom = state.OOMKilled ? ', OOM-killed' : '';
  const byUser = supervision?.stoppedByUser ? ', stopped' : '';
  return `exited (${state.ExitCode}${oom}${byUser})`;
}

export function summarize(info: ContainerInspectInfo, supervision: SupervisionView | undefined): ContainerSummary {
  const policy = supervision?.restartPolicy ?? parseRestartPolicy(info.Config.Labels?.[RunnerLabel.restart] ?? 'no');
  const notStarted = info.State.Status === 'created';
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    command: [...(info.Config.Entrypoint ? [info.Config.Entrypoint].flat() : []), ...(info.Config.Cmd ?? [])],
    state: info.State.Status,
    status: describeStatus(info, supervision),
    exitCode: info.State.Running || notStarted ? null : info.State.ExitCode,
    oomKilled: info.State.OOMKilled,
    restartPolicy: formatRestartPolicy(policy),
    restarts: supervision?.restarts ?? 0,
    nextRestartAt: supervision?.nextRestartAt ? new Date(supervision.nextRestartAt).toISOString() : null,
    stoppedByUser: supervision?.stoppedByUser ?? false,
    ports: ports(info),
    announce: parseAnnounceLabel(info.Config.Labels?.[RunnerLabel.announce]).map(formatAnnounceSpec),
    health: info.State.Health?.Status ?? null,
    labels: userLabels(info.Config.Labels),
    createdAt: info.Created,
    startedAt: time(info.State.StartedAt),
    finishedAt: time(info.State.FinishedAt),
  };
}

export function detail(info: ContainerInspectInfo, supervision: SupervisionView | undefined): ContainerDetails {
  return {
    ...summarize(info, supervision),
    env: info.Config.Env ?? [],
    memoryBytes: info.HostConfig.Memory ?? 0,
    nanoCpus: info.HostConfig.NanoCpus ?? 0,
    volumes: info.HostConfig.Binds ?? [],
    engine: info,
  };
}
