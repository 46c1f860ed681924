/**
 * Where Minicore keeps its own coordination data in kv. Every Minicore key outside an app's own
 * tree is spelled here, once.
 */
export const minicoreKeys = {
  /** Root of Minicore's own keys; user data lives anywhere else. */
  root: '/_minicore',
  /** A distributed mutex: in-order keys under this directory, the lowest one holds the lock. */
  lock: (name: string): string => `/_minicore/locks/${segment(name)}`,
  /** A leader election: one key whose value is the current leader. */
  election: (name: string): string => `/_minicore/elections/${segment(name)}`,
} as const;

function segment(name: string): string {
  if (name === '' || name.includes('/')) throw new TypeError(`"${name}" is not a valid name: use a non-empty name without "/"`);
  return name;
}
