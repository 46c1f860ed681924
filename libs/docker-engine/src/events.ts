import { Transform, type TransformCallback } from 'node:stream';

/** The container events a supervisor reacts to (the engine sends many more; they pass through as `other`). */
export type ContainerAction = 'create' | 'start' | 'die' | 'oom' | 'stop' | 'kill' | 'destroy' | 'health_status' | 'other';

/** What a `health_status` event reports. */
export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface ContainerEvent {
  action: ContainerAction;
  /** The engine's own action text (`die`, `exec_start: sh`, `health_status: healthy`). */
  rawAction: string;
  id: string;
  name: string;
  image: string;
  /** Set on `die`. */
  exitCode?: number;
  /** Set on `kill`. */
  signal?: string;
  /** Set on `health_status` (the engine's action text is `health_status: healthy`). */
  health?: HealthStatus;
  labels: Record<string, string>;
  /** Nanoseconds since the epoch, as the engine reports it. */
  timeNano: number;
}

interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  timeNano?: number;
  time?: number;
}

const known = new Set<ContainerAction>(['create', 'start', 'die', 'oom', 'stop', 'kill', 'destroy']);
const reservedAttributes = new Set(['name', 'image', 'exitCode', 'signal']);

/** Reads one event object of the engine's /events stream; undefined when it is not about a container. */
export function parseContainerEvent(raw: unknown): ContainerEvent | undefined {
  const event = raw as RawEvent;
  if (event?.Type !== 'container') return undefined;
  const rawAction = event.Action ?? event.status ?? '';
  const attributes = event.Actor?.Attributes ?? {};
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) if (!reservedAttributes.has(key)) labels[key] = value;
  const health = /^health_status: (starting|healthy|unhealthy)$/.exec(rawAction)?.[1] as HealthStatus | undefined;
  const action = health ? 'health_status' : known.has(rawAction as ContainerAction) ? (rawAction as ContainerAction) : 'other';
  const parsed: ContainerEvent = {
    action,
    rawAction,
    id: event.Actor?.ID ?? event.id ?? '',
    name: attributes['name'] ?? '',
    image: attributes['image'] ?? '',
    labels,
    timeNano: event.timeNano ?? (event.time ?? 0) * 1e9,
  };
  if (attributes['exitCode'] !== undefined) parsed.exitCode = Number(attributes['exitCode']);
  if (attributes['signal'] !== undefined) parsed.signal = attributes['signal'];
  if (health) parsed.health = health;
  return parsed;
}

/**
 * Turns the engine's event stream (JSON objects, one per line, cut at arbitrary places by the
 * transport) into ContainerEvent objects. Lines that are not JSON are skipped rather than fatal: one
 * garbled line must not stop a supervisor.
 */
export class ContainerEventParser extends Transform {
  #pending = '';

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending += chunk.toString();
    let newline = this.#pending.indexOf('\n');
    while (newline >= 0) {
      this.#emitLine(this.#pending.slice(0, newline));
      this.#pending = this.#pending.slice(newline + 1);
      newline = this.#pending.indexOf('\n');
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.#emitLine(this.#pending);
    this.#pending = '';
    callback();
  }

  #emitLine(line: string): void {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return;
    }
    const event = parseContainerEvent(raw);
    if (event) this.push(event);
  }
}
