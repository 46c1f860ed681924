import { SpecError } from './spec-error.js';

/** One `--announce NAME:PORT`: keep `/services/NAME/<machine-id>` in kv while the container serves PORT. */
export interface AnnounceSpec {
  service: string;
  /** The container port announced (its published host port, when it is published). */
  port: number;
}

const expected = 'expected NAME:PORT, e.g. web:8080 (NAME: letters, digits, _ . -; PORT: the container port)';

export function parseAnnounceSpec(spec: string): AnnounceSpec {
  const match = /^([A-Za-z0-9][A-Za-z0-9_.-]*):(\d+)$/.exec(spec.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) throw new SpecError(`invalid --announce "${spec}": ${expected}`);
  return { service: match[1]!, port };
}

export function formatAnnounceSpec(spec: AnnounceSpec): string {
  return `${spec.service}:${spec.port}`;
}

/** Announcements as runnerd's label keeps them: `web:8080,admin:9090`. */
export function formatAnnounceLabel(specs: readonly AnnounceSpec[]): string {
  return specs.map(formatAnnounceSpec).join(',');
}

/** Reads the label back; a damaged entry is skipped rather than fatal (labels outlive runnerd versions). */
export function parseAnnounceLabel(label: string | undefined): AnnounceSpec[] {
  if (!label) return [];
  const specs: AnnounceSpec[] = [];
  for (const part of label.split(',')) {
    try {
      specs.push(parseAnnounceSpec(part));
    } catch {
      // not ours to fail on
    }
  }
  return specs;
}
