/**
 * The engine answers image pulls, pushes and imports with a stream of JSON progress messages and
 * HTTP 200, even when the operation fails: the failure is a message carrying `error`. These helpers
 * read such a stream to its end and turn an `error` message into a rejection.
 */
export interface ProgressMessage {
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  /** Push: `{ Tag, Digest, Size }` once the manifest is uploaded. */
  aux?: { Tag?: string; Digest?: string; Size?: number; ID?: string };
}

/** A failure reported inside a progress stream (the engine had already answered 200). */
export class ProgressError extends Error {
  override name = 'ProgressError';
  constructor(
    message: string,
    readonly messages: readonly ProgressMessage[],
  ) {
    super(message);
  }
}

/** The first message that reports a failure, if any. */
export function progressFailure(messages: readonly ProgressMessage[]): string | undefined {
  const failed = messages.find((message) => typeof message.error === 'string' || typeof message.errorDetail?.message === 'string');
  return failed ? (failed.errorDetail?.message ?? failed.error) : undefined;
}

/** The digest a push reports for the pushed tag (`sha256:...`), if it reported one. */
export function pushedDigest(messages: readonly ProgressMessage[]): string | undefined {
  for (const message of messages) if (message.aux?.Digest) return message.aux.Digest;
  for (const message of messages) {
    const match = /digest: (sha256:[0-9a-f]{64})/.exec(message.status ?? '');
    if (match) return match[1];
  }
  return undefined;
}
