/** A unit file (or one of its options) that cannot be used: names the line when there is one. */
export class UnitFileError extends Error {
  override name = 'UnitFileError';
  readonly code = 'UNIT_ERR_INVALID';
  constructor(
    readonly problem: string,
    readonly line?: number,
  ) {
    super(line === undefined ? problem : `line ${line}: ${problem}`);
  }
}
