/**
 * locksmithd's reboot window: START is `HH:MM` (daily) or `Day HH:MM` (weekly, `sun`..`sat`,
 * any case), local time; LENGTH a Go-style duration, under 24 h for a daily window and under 7 days
 * for a weekly one. Both or neither.
 */
export interface RebootWindow {
  /** 0..6 from Sunday for a weekly window, undefined for a daily one. */
  day: number | undefined;
  /** Minutes after local midnight. */
  minute: number;
  lengthMs: number;
}

const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY_MS = 86_400_000;

export class RebootWindowError extends Error {
  override name = 'RebootWindowError';
  readonly code = 'MC_ERR_REBOOT_WINDOW';
}

export function parseRebootWindow(start: string, lengthMs: number | undefined): RebootWindow | undefined {
  if (!start && lengthMs === undefined) return undefined;
  if (!start || lengthMs === undefined) throw new RebootWindowError('--reboot-window-start and --reboot-window-length go together: set both or neither');
  const match = /^(?:([a-z]{3})\s+)?(\d{1,2}):(\d{2})$/i.exec(start.trim());
  const hours = Number(match?.[2]);
  const minutes = Number(match?.[3]);
  if (!match || hours > 23 || minutes > 59) throw new RebootWindowError(`invalid --reboot-window-start "${start}": expected HH:MM or "Day HH:MM" (Day: sun..sat)`);
  const day = match[1] === undefined ? undefined : days.indexOf(match[1].toLowerCase());
  if (day === -1) throw new RebootWindowError(`invalid day in --reboot-window-start "${start}": expected one of ${days.join(' ')}`);
  const limit = day === undefined ? DAY_MS : 7 * DAY_MS;
  if (lengthMs < 0 || lengthMs >= limit) throw new RebootWindowError(`--reboot-window-length must be at least 0 and under ${day === undefined ? '24h for a daily' : '7d for a weekly'} window`);
  return { day, minute: hours * 60 + minutes, lengthMs };
}

/** Milliseconds until the window is open: 0 inside it, otherwise until its next start (local time). */
export function delayUntilWindow(window: RebootWindow, now: Date): number {
  const period = window.day === undefined ? DAY_MS : 7 * DAY_MS;
  // The most recent start at or before now; DST shifts are ignored (a window is off by the shift for a day).
  const start = new Date(now);
  start.setHours(Math.floor(window.minute / 60), window.minute % 60, 0, 0);
  if (window.day !== undefined) start.setDate(start.getDate() - ((start.getDay() - window.day + 7) % 7));
  if (start.getTime() > now.getTime()) start.setTime(start.getTime() - period);
  const sinceStart = now.getTime() - start.getTime();
  if (sinceStart < window.lengthMs) return 0;
  return period - sinceStart;
}

export function describeWindow(window: RebootWindow): string {
  const hhmm = `${String(Math.floor(window.minute / 60)).padStart(2, '0')}:${String(window.minute % 60).padStart(2, '0')}`;
  return `${window.day === undefined ? 'daily' : days[window.day]} ${hhmm} for ${Math.round(window.lengthMs / 60_000)} min`;
}
