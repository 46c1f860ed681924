import path from 'node:path';
import type { MachineJson, UnitJson } from '@minicore/fleet-api';
import { toUnitOptions } from '@minicore/fleet-api';
import { lastValue } from '@minicore/unit-file';
import type { AgentUnitStatus } from './agent-client.js';

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** systemd's timestamp style (`Thu 2026-11-26 11:33:46 UTC`), in UTC so that every machine prints the same. */
export function systemdTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${weekdays[date.getUTCDay()]} ${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
}

/** systemd's "5min 3s ago" span. */
export function timeAgo(ms: number): string {
  let seconds = Math.max(0, Math.floor(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [['day', 86_400], ['h', 3600], ['min', 60]] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit === 'day' ? (seconds >= 2 * size ? ' days' : ' day') : unit}`);
      seconds %= size;
    }
    if (parts.length === 2) break;
  }
  if (parts.length < 2 && (seconds > 0 || parts.length === 0)) parts.push(`${seconds}s`);
  return `${parts.join(' ')} ago`;
}

/**
 * A unit's status in `systemctl status`'s layout, with what the agent knows instead of what systemd
 * would add (cgroup, tasks): the machine and backend, the command, the restarts, then the last
 * journal lines after a blank line, as systemctl shows them.
 */
export function formatStatus(status: AgentUnitStatus, unit: UnitJson, machine: MachineJson, journal: readonly string[] | undefined, now = new Date()): string {
  const description = lastValue(toUnitOptions(unit.options ?? []), 'Unit', 'Description');
  const { load, active, sub } = status.state;
  const bullet = active === 'inactive' ? '○' : '●';
  const since = new Date(status.since);
  const sinceText = Number.isNaN(since.getTime()) ? '' : ` since ${systemdTime(since)}; ${timeAgo(now.getTime() - since.getTime())}`;
  const rows: [string, string][] = [
    ['Loaded', `${load} (${status.backend} backend, unit hash ${status.hash.slice(0, 7)})`],
    ['Active', `${active} (${sub})${sinceText}`],
  ];
  if (status.lastExit) rows.push(['Process', `ExecStart=${status.command.join(' ')} (${status.lastExit})`]);
  if (status.mainPid) rows.push(['Main PID', `${status.mainPid}${status.command[0] ? ` (${path.basename(status.command[0])})` : ''}`]);
  if (status.command.length > 0) rows.push(['Command', status.command.join(' ')]);
  rows.push(['Restarts', String(status.restarts)]);
  rows.push(['Machine', `${status.machineID}${machine.primaryIP ? `/${machine.primaryIP}` : ''}`]);
  const width = Math.max(...rows.map(([label]) => label.length)) + 3;
  let text = `${bullet} ${status.name}${description ? ` - ${description}` : ''}\n`;
  for (const [label, value] of rows) text += `${label.padStart(width)}: ${value}\n`;
  if (journal && journal.length > 0) text += `\n${journal.join('\n')}\n`;
  return text;
}
