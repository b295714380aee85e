// `ferry pin FLEET_DIR [--commit]`: every image given by tag, pinned by the digest its registry
// serves for that tag now; only the image values of the compose files change.
import * as fs from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import git from 'isomorphic-git';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import { RegistryClient } from '#kernel/oci/registry-client.js';
import { DirectoryReader } from '#kernel/source/directory-reader.js';
import { gitDirOf, resolveCommit } from '#kernel/source/git-revision.js';
import { FerryError } from '#kernel/errors.js';
import { SchemaValidator } from '#kernel/validate.js';
import { dockerCredentials } from '../config/docker-credentials.js';
import { commitAuthor, commitPins } from '../pin/commit-pins.js';
import { pinTags, type TagPins } from '../pin/pin-tags.js';

interface PinOptions {
  readonly commit?: boolean;
  readonly author?: string;
  readonly json?: boolean;
}

function message(pins: TagPins): string {
  const changes = [...pins.files.values()].flatMap((f) => f.changes);
  const lines = [
    `ferry: pin ${changes.length} image${changes.length === 1 ? '' : 's'} by digest`,
    '',
  ];
  for (const [file, { changes: fileChanges }] of pins.files) {
    lines.push(file);
    for (const change of fileChanges) lines.push(`  ${change.service}: ${change.after}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Commits the pinned files on the checked-out branch of the repository that holds `dir`. */
async function commit(dir: string, pins: TagPins, author?: string): Promise<string> {
  const root = await git.findRoot({ fs, filepath: resolve(dir) }).catch(() => {
    throw new FerryError('FERRY_USAGE', `${dir} is not inside a git repository (--commit)`);
  });
  const gitdir = await gitDirOf(root);
  const prefix = relative(root, resolve(dir));
  const files = new Map(
    [...pins.files].map(([file, { text }]) => [prefix ? `${prefix}/${file}` : file, text]),
  );
  return commitPins({
    dir: root,
    gitdir,
    parent: await resolveCommit(gitdir, 'HEAD'),
    files,
    message: message(pins),
    author: await commitAuthor(gitdir, author),
  });
}

export function pinCommand(): Command {
  return new Command('pin')
    .description('pin every image given by tag to the digest its registry serves for that tag')
    .argument('[FLEET_DIR]', 'fleet root (holds fleet.yaml)', '.')
    .option(
      '--commit',
      'commit the pins on the checked-out branch (no commit when nothing changed)',
    )
    .option('--author <NAME_EMAIL>', 'commit author, "Name <email>" (default: git config user.*)')
    .option('--json', 'print what was pinned as JSON')
    .action(async (dir: string, options: PinOptions) => {
      const fleet = await loadFleet(new DirectoryReader(dir), new SchemaValidator());
      const registry = new RegistryClient({ credentials: dockerCredentials });
      const pins = await pinTags(fleet, (file) => readFile(join(dir, file), 'utf8'), registry);
      let pinCommit: string | null = null;
      if (pins.files.size > 0) {
        if (options.commit) pinCommit = await commit(dir, pins, options.author);
        else for (const [file, { text }] of pins.files) await writeFile(join(dir, file), text);
      }
      if (options.json) {
        const files = [...pins.files].map(([file, { changes }]) => ({ file, changes }));
        console.log(JSON.stringify({ files, skipped: pins.skipped, pinCommit }, null, 2));
        return;
      }
      for (const [file, { changes }] of pins.files)
        for (const change of changes) console.log(`pin ${file} ${change.service}: ${change.after}`);
      for (const skip of pins.skipped)
        console.log(`left ${skip.file} ${skip.service}: ${skip.reason}`);
      if (pins.files.size === 0) console.log('pins: nothing to pin');
      if (pinCommit) console.log(`committed ${pinCommit.slice(0, 12)}`);
    });
}
