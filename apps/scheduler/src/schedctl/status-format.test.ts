import { describe, expect, it } from 'vitest';
import { systemdTime, timeAgo } from './status-format.js';

describe("systemctl status's time words", () => {
  it('timestamps as systemd prints them, in UTC', () => {
    expect(systemdTime(new Date('2026-11-26T09:05:03Z'))).toBe('Thu 2026-11-26 09:05:03 UTC');
    expect(systemdTime(new Date('2024-02-29T23:59:59.999Z'))).toBe('Thu 2024-02-29 23:59:59 UTC');
  });

  it('spans with at most two units, as systemd shortens them', () => {
    expect(timeAgo(0)).toBe('0s ago');
    expect(timeAgo(-500)).toBe('0s ago');
    expect(timeAgo(59_999)).toBe('59s ago');
    expect(timeAgo(125_000)).toBe('2min 5s ago');
    expect(timeAgo(3_600_000)).toBe('1h ago');
    expect(timeAgo(3_725_000)).toBe('1h 2min ago');
    expect(timeAgo(86_400_000 + 3_600_000 + 5_000)).toBe('1 day 1h ago');
    expect(timeAgo(3 * 86_400_000)).toBe('3 days ago');
  });
});
