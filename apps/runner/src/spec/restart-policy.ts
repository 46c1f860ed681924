import { SpecError } from './spec-error.js';

export type RestartPolicyName = 'no' | 'on-failure' | 'always' | 'unless-stopped';

export interface RestartPolicy {
  name: RestartPolicyName;
  /** on-failure only: give up after this many restarts; 0 means never give up. */
  maxRetries: number;
}

const expected = 'expected no, on-failure[:MAX_RETRIES], always or unless-stopped';

/** `--restart` as docker reads it. */
export function parseRestartPolicy(text: string): RestartPolicy {
  const [name, retries, extra] = text.trim().split(':');
  if (extra !== undefined) throw new SpecError(`invalid restart policy "${text}": ${expected}`);
  if (name === 'on-failure') {
    if (retries === undefined) return { name, maxRetries: 0 };
    if (!/^\d+$/.test(retries)) throw new SpecError(`invalid restart policy "${text}": the maximum retry count must be a whole number`);
    return { name, maxRetries: Number(retries) };
  }
  if (name === 'no' || name === 'always' || name === 'unless-stopped') {
    if (retries !== undefined) throw new SpecError(`invalid restart policy "${text}": only on-failure takes a maximum retry count`);
    return { name, maxRetries: 0 };
  }
  throw new SpecError(`invalid restart policy "${text}": ${expected}`);
}

export function formatRestartPolicy(policy: RestartPolicy): string {
  return policy.name === 'on-failure' && policy.maxRetries > 0 ? `on-failure:${policy.maxRetries}` : policy.name;
}
