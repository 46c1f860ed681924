/** A checker's answer: `unknown` when it could not decide (e.g. the linearizability search ran out of time). */
export interface Verdict {
  checker: string;
  result: 'pass' | 'fail' | 'unknown';
  /** One line: what was checked and the outcome. */
  summary: string;
  /** The evidence of a failure (or of why the result is unknown), readable, a few lines each. */
  details: string[];
}

export function verdict(checker: string, problems: string[], summary: string, maxDetails = 20): Verdict {
  const details = problems.slice(0, maxDetails);
  if (problems.length > maxDetails) details.push(`... and ${problems.length - maxDetails} more`);
  return { checker, result: problems.length === 0 ? 'pass' : 'fail', summary, details };
}
