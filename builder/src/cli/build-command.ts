// `ferry build REPO [--push] [--commit]`: build, push, pin, commit.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import Docker from 'dockerode';
import { destination, pino } from 'pino';
import { RegistryClient } from '../../../daemon/src/fetch/registry-client.js';
import { gitDirOf } from '../../../daemon/src/source/git-tree-reader.js';
import { FerryError } from '../../../schema/src/errors.js';
import { SchemaValidator } from '../../../schema/src/validate.js';
import { buildFleet, type BuildReport } from '../build/build-fleet.js';
import { formatBuild } from '../build/format-build.js';
import { dockerCredentials } from '../config/docker-credentials.js';
import { commitAuthor, commitPins } from '../pin/commit-pins.js';
import { pinMessage } from '../pin/pin-message.js';

export interface BuildCommandOptions {
  readonly path: string;
  readonly revision: string;
  readonly push?: boolean;
  readonly commit?: boolean;
  readonly branch?: string;
  readonly author?: string;
  readonly platform: string[];
  readonly cache: boolean;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

export interface BuildOutcome {
  readonly report: BuildReport;
  /** The pin commit, when one was made. */
  readonly pinCommit: string | null;
}

/** Builds and, as asked, pushes, pins into the work tree or commits. Shared with `ferry builder`. */
export async function runBuild(
  repo: string,
  options: BuildCommandOptions,
  logger = pino({ name: 'ferry', level: options.verbose ? 'debug' : 'warn' }, destination(2)),
): Promise<BuildOutcome> {
  if (options.commit && !options.push)
    throw new FerryError(
      'FERRY_USAGE',
      '--commit needs --push: a pinned digest must exist in the registry',
    );
  const gitdir = await gitDirOf(repo);
  const report = await buildFleet({
    gitdir,
    root: options.path,
    revision: options.revision,
    push: options.push ?? false,
    noCache: !options.cache,
    platforms: options.platform,
    docker: new Docker(),
    registry: new RegistryClient({ credentials: dockerCredentials, logger }),
    validator: new SchemaValidator(),
    logger,
  });
  let pinCommit: string | null = null;
  if (options.push && report.pins.length > 0) {
    const files = new Map(report.pins.map((p) => [p.file, p.text]));
    if (options.commit) {
      pinCommit = await commitPins({
        dir: repo,
        gitdir,
        parent: report.commit,
        files,
        message: pinMessage(report),
        author: await commitAuthor(gitdir, options.author),
        ...(options.branch ? { branch: options.branch } : {}),
      });
    } else {
      for (const [file, text] of files) await writeFile(join(repo, file), text);
    }
  }
  return { report, pinCommit };
}

export function buildCommand(): Command {
  return new Command('build')
    .description('build every service with build: in the fleet, reproducibly; push, pin, commit')
    .argument('<REPO>', 'a local clone of the fleet repository')
    .option('--path <DIR>', 'fleet root inside the repository', '.')
    .option('--revision <REV>', 'the commit to build', 'HEAD')
    .option('--push', 'push the images to their registries (credentials from the Docker config)')
    .option('--commit', 'commit the pinned digests (needs --push); no commit when nothing changed')
    .option(
      '--branch <NAME>',
      'commit to this branch (created or moved) instead of the checked-out one',
    )
    .option('--author <NAME_EMAIL>', 'commit author, "Name <email>" (default: git config user.*)')
    .addOption(
      new Option(
        '--platform <OS/ARCH...>',
        'platforms for services that name none in build.platforms',
      ).default(['linux/amd64']),
    )
    .option('--no-cache', 'do not use the engine build cache')
    .option('--json', 'print the build report as JSON')
    .option('--verbose', 'log the engine build output')
    .action(async (repo: string, options: BuildCommandOptions) => {
      const { report, pinCommit } = await runBuild(repo, options);
      if (options.json)
        console.log(
          JSON.stringify(
            { ...report, pins: report.pins.map(({ text: _text, ...p }) => p), pinCommit },
            null,
            2,
          ),
        );
      else {
        console.log(formatBuild(report));
        if (pinCommit)
          console.log(
            `committed ${pinCommit.slice(0, 12)}${options.branch ? ` on ${options.branch}` : ''}`,
          );
        else if (options.push && report.pins.length > 0)
          console.log('pins written to the work tree (not committed)');
      }
    });
}
