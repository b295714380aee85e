// Pin commits are authored as git config says: --author, the repository's user.*, then the user's
// own ~/.gitconfig (as git reads it), then Ferry's own name.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import git from 'isomorphic-git';
import { commitAuthor } from '../../builder/src/pin/commit-pins.js';

describe('commitAuthor', () => {
  it("takes --author, else the repository's, else the user's git config", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-author-'));
    await git.init({ fs, dir });
    const gitdir = join(dir, '.git');
    const home = await mkdtemp(join(tmpdir(), 'ferry-home-'));
    await writeFile(
      join(home, '.gitconfig'),
      '[user]\n\tname = Ops From Home\n\temail = ops@home.test\n',
    );
    const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
    process.env.HOME = home;
    delete process.env.XDG_CONFIG_HOME;
    try {
      assert.deepEqual(await commitAuthor(gitdir), {
        name: 'Ops From Home',
        email: 'ops@home.test',
      });
      await git.setConfig({ fs, gitdir, path: 'user.name', value: 'Repo Person' });
      assert.equal((await commitAuthor(gitdir)).name, 'Repo Person');
      assert.deepEqual(await commitAuthor(gitdir, 'Bot <bot@x.test>'), {
        name: 'Bot',
        email: 'bot@x.test',
      });
    } finally {
      process.env.HOME = saved.HOME;
      if (saved.XDG_CONFIG_HOME !== undefined) process.env.XDG_CONFIG_HOME = saved.XDG_CONFIG_HOME;
    }
  });
});
