import { KvInvalidArgumentError } from './errors.js';

/**
 * The URL path of a key under `/v2/keys`: a leading slash is added, each segment is
 * percent-encoded on its own so that `/` keeps separating directories, and empty segments
 * (`//`) collapse the way etcd's own path cleaning does.
 */
export function keyPath(key: string): string {
  if (key.includes('\0')) throw new KvInvalidArgumentError(`key ${JSON.stringify(key)} contains a NUL byte`);
  const segments = key.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    throw new KvInvalidArgumentError(`key ${JSON.stringify(key)} has a "." or ".." segment`);
  }
  return `/v2/keys/${segments.map(encodeURIComponent).join('/')}`;
}
