// `ferryd`: the gateway daemon's command line.
import { Command } from 'commander';
import { FerryError, InvalidInputError } from '../../../schema/src/errors.js';
import { formatProblem } from '../../../schema/src/problem.js';
import { SchemaValidator } from '../../../schema/src/validate.js';
import { loadDaemonConfig } from '../config/daemon-config.js';
import { FERRY_VERSION } from '../version.js';

/** Exit code for a configuration ferryd cannot start with (DESIGN.md section 6). */
const EXIT_BAD_CONFIG = 2;

const program = new Command('ferryd')
  .description('Ferry gateway daemon: pulls its desired stacks from Git and reconciles Docker')
  .version(FERRY_VERSION)
  .showHelpAfterError();

program
  .command('check-config')
  .description('validate ferryd.yaml and print the effective configuration (defaults filled in)')
  .requiredOption('--config <FILE>', 'path to ferryd.yaml', '/etc/ferry/ferryd.yaml')
  .action(async (options: { config: string }) => {
    const config = await loadDaemonConfig(options.config, new SchemaValidator());
    console.log(JSON.stringify(config, null, 2));
  });

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof InvalidInputError) {
    for (const problem of error.problems) console.error(formatProblem(problem));
    process.exitCode = EXIT_BAD_CONFIG;
  } else if (error instanceof FerryError) {
    console.error(`ferryd: ${error.message}`);
    process.exitCode = error.code === 'FERRY_CONFIG' ? EXIT_BAD_CONFIG : 1;
  } else {
    throw error;
  }
}
