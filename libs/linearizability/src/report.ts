import type { IllegalReport, Model, Operation, ReportedOperation } from './types.js';

/** How many operations of the linearized prefix a report shows (its tail, the context of the failure). */
const PREFIX_TAIL = 8;

/**
 * The readable form of an illegal report. Times are shown relative to the partition's first call,
 * in the unit of the history (milliseconds for performance.now()).
 */
export function formatIllegalReport<S, I, O>(model: Model<S, I, O>, operations: readonly Operation<I, O>[], report: Omit<IllegalReport<I, O>, 'text'>): string {
  const origin = operations.reduce((min, operation) => Math.min(min, operation.call), Infinity);
  const line = (reported: ReportedOperation<I, O>) => formatOperation(model, reported, origin);
  const prefix = report.longestPrefix;
  const tail = prefix.slice(-PREFIX_TAIL);
  const lines = [
    `key ${JSON.stringify(report.key)}: not linearizable (${operations.length} operations)`,
    `longest linearizable prefix: ${prefix.length} operations${prefix.length > tail.length ? `; its last ${tail.length}, in linearization order` : ', in linearization order'}:`,
    ...tail.map((reported) => `  ${line(reported)}`),
    `state after that prefix: ${report.stateAfterPrefix}`,
    `first operation that cannot be linearized next:`,
    `  ${line(report.blocking)}`,
    `window: the operations concurrent with it, and those not yet linearized that were called before it returned (* = in the prefix):`,
    ...report.window.map((reported) => `${reported.linearized ? '* ' : '  '}${line(reported)}`),
  ];
  return lines.join('\n');
}

export function formatOperation<S, I, O>(model: Model<S, I, O>, { index, operation }: ReportedOperation<I, O>, origin = 0): string {
  const pending = operation.return === Infinity;
  const text = model.describe(operation.input, pending ? undefined : operation.output);
  const times = `${formatTime(operation.call - origin)} .. ${pending ? 'never returned' : formatTime(operation.return - origin)}`;
  return `#${String(index).padEnd(5)} client ${String(operation.clientId).padEnd(4)} ${text.padEnd(44)} ${times}`;
}

function formatTime(ms: number): string {
  return `${ms.toFixed(3)}`;
}
