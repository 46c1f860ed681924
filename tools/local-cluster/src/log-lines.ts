/** Turns a daemon's pino JSON line into one short readable line; other text passes through. */
export function formatLogLine(prefix: string, line: string): string {
  if (!line.startsWith('{')) return `${prefix} ${line}`;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${prefix} ${line}`;
  }
  const { level, msg, time: _time, pid: _pid, hostname: _hostname, name: _name, ...fields } = record;
  const extra = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${prefix} ${String(level).padEnd(5)} ${String(msg)}${extra ? `  ${extra}` : ''}`;
}
