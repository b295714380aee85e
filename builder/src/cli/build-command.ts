// `ferry build REPO [--push] [--commit]`: build, push, pin, commit.
import { Command, Option } from 'commander';
import { formatBuild } from '../pipeline/format-build.js';
import type { BuildOptions } from '../pipeline/run-build.js';

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
    .option(
      '--no-reuse',
      "rebuild every step's layer, even where the pinned image has one from the same inputs",
    )
    .option('--cache-dir <DIR>', 'where compressed layers are kept between builds (~/.cache/ferry)')
    .option('--json', 'print the build report as JSON')
    .option('--verbose', 'log the engine build output')
    .action(async (repo: string, options: BuildOptions) => {
      // The engine client and git are loaded only to build: other commands start faster.
      const { runBuild } = await import('../pipeline/run-build.js');
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
