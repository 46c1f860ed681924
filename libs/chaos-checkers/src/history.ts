import type { EtcdInput, EtcdOutput, Operation } from '@minicore/linearizability';

/**
 * How one request ended: `ok`/`fail` are definite answers (fail = a compare, create or delete that
 * did not apply), `unknown` may or may not have taken effect (timeout, reset, 5xx), `none` surely had
 * no effect (a refused connection, a read that got no answer) and stays out of the checked history.
 */
export type OutcomeKind = 'ok' | 'fail' | 'unknown' | 'none';

/** One register operation as the runner recorded it; `call`/`return` are ms since the run started. */
export interface RecordedOperation extends Operation<EtcdInput, EtcdOutput> {
  machine: string;
  outcome: OutcomeKind;
  /** When the client stopped waiting (= `return` for answers; the give-up time for unknown ones). */
  ended: number;
  reason?: string;
}
