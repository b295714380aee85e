// `ferry rollouts --hub URL --repo URL`: the rollout controller. Every --interval it reads how
// the devices of each rollout's step fare and promotes or pauses it by a commit to the fleet
// repository (or to --review-branch, for a pull request).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createLogger } from '#kernel/logger.js';
import { parseDuration } from '#kernel/duration.js';
import { FerryError } from '#kernel/errors.js';
import { controllerOf, runController } from '../rollouts/run-controller.js';

interface RolloutsOptions {
  hub: string;
  repo: string;
  branch: string;
  path: string;
  reviewBranch?: string;
  tokenFile?: string;
  signingKey?: string;
  notify?: string;
  stateDir: string;
  interval: string;
  once?: boolean;
}

export function rolloutsCommand(): Command {
  return new Command('rollouts')
    .description(
      'the rollout controller: promote or pause staged rollouts by committing to the fleet repository',
    )
    .requiredOption('--hub <URL>', 'the hub the devices report to')
    .requiredOption('--repo <URL>', "the fleet repository's http(s) URL")
    .option('--branch <BRANCH>', 'the fleet branch', 'main')
    .option('--path <DIR>', 'fleet root inside the repository', '.')
    .option('--review-branch <BRANCH>', 'commit to this branch (for a pull request) instead')
    .option('--token-file <FILE>', 'the hub operator token (default: $FERRY_HUB_TOKEN)')
    .option('--signing-key <FILE>', 'sign commits with this SSH key (for gateways with trust)')
    .option('--notify <URL>', 'POST each pause, promotion and completion here as JSON')
    .option(
      '--state-dir <DIR>',
      'the clone and the decisions taken',
      join(homedir(), '.ferry-rollouts'),
    )
    .option('--interval <DURATION>', 'how often to evaluate', '30s')
    .option('--once', 'evaluate once, print the decisions as JSON, and exit')
    .action(async (options: RolloutsOptions) => {
      const intervalMs = parseDuration(options.interval);
      if (!intervalMs)
        throw new FerryError('FERRY_USAGE', `--interval ${options.interval} is not a duration`);
      const logger = createLogger('ferry-rollouts', { level: options.once ? 'warn' : 'info' });
      const settings = {
        repo: options.repo,
        branch: options.branch,
        path: options.path,
        stateDir: options.stateDir,
        hub: { url: options.hub, ...(options.tokenFile ? { tokenFile: options.tokenFile } : {}) },
        logger,
        ...(options.reviewBranch ? { reviewBranch: options.reviewBranch } : {}),
        ...(options.signingKey ? { signingKey: options.signingKey } : {}),
        ...(options.notify ? { notify: options.notify } : {}),
      };
      if (options.once) {
        console.log(JSON.stringify(await controllerOf(settings)(), null, 2));
        return;
      }
      await runController(settings, intervalMs, new AbortController().signal);
    });
}
