// One exit-code contract for both CLIs: 0 success, 1 the work failed (invalid fleet, device not
// converged, build failed), 2 the command itself was wrong (unknown option or command, missing
// argument, unusable configuration). Commander exits 1 on usage errors by default.
import type { Command } from 'commander';

export const EXIT_USAGE = 2;

/** Applies the contract to a program and all its subcommands (call after adding them). */
export function usageErrorsExit2(command: Command): void {
  command.exitOverride((error) => {
    const fine = ['commander.helpDisplayed', 'commander.help', 'commander.version'];
    process.exit(fine.includes(error.code) ? 0 : EXIT_USAGE);
  });
  for (const sub of command.commands) usageErrorsExit2(sub);
}
