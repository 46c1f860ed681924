/** A docker-style option value that cannot be understood; the message quotes it and shows a valid form. */
export class SpecError extends Error {
  override name = 'SpecError';
  readonly code = 'RUNNER_BAD_SPEC';
}
