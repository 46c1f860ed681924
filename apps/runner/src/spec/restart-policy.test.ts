import { describe, expect, it } from 'vitest';
import { formatRestartPolicy, parseRestartPolicy } from './restart-policy.js';

describe('parseRestartPolicy', () => {
  it.each([
    ['no', { name: 'no', maxRetries: 0 }],
    ['always', { name: 'always', maxRetries: 0 }],
    ['unless-stopped', { name: 'unless-stopped', maxRetries: 0 }],
    ['on-failure', { name: 'on-failure', maxRetries: 0 }],
    ['on-failure:3', { name: 'on-failure', maxRetries: 3 }],
  ])('reads %s', (text, policy) => {
    expect(parseRestartPolicy(text)).toEqual(policy);
    expect(formatRestartPolicy(parseRestartPolicy(text))).toBe(text);
  });

  it.each([
    ['sometimes', /expected no, on-failure\[:MAX_RETRIES\], always or unless-stopped/],
    ['on-failure:x', /whole number/],
    ['on-failure:-1', /whole number/],
    ['always:3', /only on-failure takes a maximum retry count/],
    ['on-failure:1:2', /invalid restart policy/],
  ])('rejects %j', (text, message) => {
    expect(() => parseRestartPolicy(text)).toThrow(message);
  });
});
