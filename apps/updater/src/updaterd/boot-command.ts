import { loadConfigOrExit } from '@minicore/config';
import { currentBootId, describeRecord, runBootSelector } from './boot.js';
import { bootConfig } from './config.js';

/**
 * `updaterd boot`: picks the slot, records the choice, points --current-link at it and prints the
 * result as JSON (stdout) and one readable line (stderr). Exits 1 when no slot can boot.
 */
export async function runBootCommand(argv: readonly string[]): Promise<void> {
  const config = loadConfigOrExit(bootConfig, [...argv]);
  try {
    const result = await runBootSelector(config.slotsDir, config.bootId || (await currentBootId()), new Date(), config.currentLink);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.stderr.write(`updaterd boot: slot ${result.slot}${result.trial ? ' (on trial)' : ''}; ${describeRecord(result.record)}${config.currentLink ? `; ${config.currentLink} -> ${result.path}` : ''}\n`);
  } catch (error) {
    process.stderr.write(`updaterd boot: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
