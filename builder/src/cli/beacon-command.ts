// `ferry beacon --repo REPO --key KEY --out DIR`: write the signed beacon gateways poll.
import { Command } from 'commander';
import { parseDuration } from '#kernel/duration.js';
import { FerryError } from '#kernel/errors.js';
import { writeBeacon } from '../beacon/write-beacon.js';

export function beaconCommand(): Command {
  return new Command('beacon')
    .description(
      "write beacon.json: the branch's commit, signed, with a growing sequence and an expiry",
    )
    .requiredOption('--repo <REPO>', 'a clone of the fleet repository, or its http(s) URL')
    .requiredOption('--key <FILE>', 'the signing key: OpenSSH private key, or PEM Ed25519')
    .requiredOption('--out <DIR>', 'where beacon.json is written (what a static server serves)')
    .option('--branch <BRANCH>', 'the fleet branch', 'main')
    .option('--expires <DURATION>', 'how long gateways may trust it', '24h')
    .action(
      async (options: {
        repo: string;
        key: string;
        out: string;
        branch: string;
        expires: string;
      }) => {
        const expiresMs = parseDuration(options.expires);
        if (!expiresMs)
          throw new FerryError('FERRY_USAGE', `--expires ${options.expires} is not a duration`);
        const beacon = await writeBeacon({ ...options, expiresMs });
        console.log(
          `beacon: ${beacon.branch} at ${beacon.commit.slice(0, 12)}, sequence ${beacon.sequence}, expires ${beacon.expiresAt}`,
        );
      },
    );
}
