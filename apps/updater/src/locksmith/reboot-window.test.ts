import { describe, expect, it } from 'vitest';
import { delayUntilWindow, parseRebootWindow } from './reboot-window.js';

const at = (text: string) => new Date(text); // local time: no zone suffix
const MIN = 60_000;

describe('reboot windows', () => {
  it('reads daily and weekly starts, and insists on both flags or neither', () => {
    expect(parseRebootWindow('', undefined)).toBeUndefined();
    expect(parseRebootWindow('04:30', 3_600_000)).toEqual({ day: undefined, minute: 270, lengthMs: 3_600_000 });
    expect(parseRebootWindow('Thu 23:00', 7_200_000)).toEqual({ day: 4, minute: 1380, lengthMs: 7_200_000 });
    expect(() => parseRebootWindow('04:30', undefined)).toThrow(/set both or neither/);
    expect(() => parseRebootWindow('25:00', MIN)).toThrow(/HH:MM/);
    expect(() => parseRebootWindow('xyz 01:00', MIN)).toThrow(/sun/);
    expect(() => parseRebootWindow('01:00', 24 * 60 * MIN)).toThrow(/under 24h/);
  });

  it('is open inside a daily window and says how long until the next one outside it', () => {
    const window = parseRebootWindow('04:00', 60 * MIN)!;
    expect(delayUntilWindow(window, at('2026-03-10T04:00:00'))).toBe(0);
    expect(delayUntilWindow(window, at('2026-03-10T04:59:59'))).toBe(0);
    expect(delayUntilWindow(window, at('2026-03-10T05:00:00'))).toBe(23 * 60 * MIN);
    expect(delayUntilWindow(window, at('2026-03-10T03:30:00'))).toBe(30 * MIN);
  });

  it('wraps a window across midnight and counts weekly windows in days', () => {
    const late = parseRebootWindow('23:30', 60 * MIN)!;
    expect(delayUntilWindow(late, at('2026-03-11T00:15:00'))).toBe(0);
    expect(delayUntilWindow(late, at('2026-03-11T00:30:00'))).toBe(23 * 60 * MIN);
    const thursday = parseRebootWindow('thu 02:00', 60 * MIN)!; // 2026-03-12 is a Thursday
    expect(delayUntilWindow(thursday, at('2026-03-12T02:10:00'))).toBe(0);
    expect(delayUntilWindow(thursday, at('2026-03-10T02:00:00'))).toBe(2 * 24 * 60 * MIN);
    expect(delayUntilWindow(thursday, at('2026-03-12T03:00:00'))).toBe(7 * 24 * 60 * MIN - 60 * MIN);
  });
});
