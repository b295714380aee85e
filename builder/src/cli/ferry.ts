// `ferry`: the repository side of Ferry (validate, resolve, plan, build, analyze, builder).
import { Command, Option } from 'commander';
import { exitCodeFor, FerryError, InvalidInputError } from '#kernel/errors.js';
import { formatProblem } from '#kernel/problem.js';
import { SchemaValidator } from '#kernel/validate.js';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import { resolveDevice } from '#kernel/fleet/resolve-device.js';
import { DirectoryReader } from '#kernel/source/directory-reader.js';
import { FERRY_VERSION } from '#kernel/version.js';
import { RegistryClient } from '#kernel/oci/registry-client.js';
import { invalidPlanMarkdown, planMarkdown } from '../plan/format-plan.js';
import { planRollout } from '../plan/plan-rollout.js';
import { printDesired } from '../resolve/print-desired.js';
import { validateFleet } from '../validate/validate-fleet.js';
import { dockerCredentials } from '../config/docker-credentials.js';
import { analyzeCommand } from './analyze-command.js';
import { beaconCommand } from './beacon-command.js';
import { rolloutsCommand } from './rollouts-command.js';
import { usageErrorsExit2 } from '#kernel/usage-exit.js';
import { buildCommand } from './build-command.js';
import { builderCommand } from './builder-command.js';
import { hubCommand } from './hub-command.js';
import { pinCommand } from './pin-command.js';
import { statusCommand } from './status-command.js';

const program = new Command('ferry')
  .description('Ferry: GitOps updates for fleets of container gateways (repository side)')
  .version(FERRY_VERSION)
  .showHelpAfterError();

program
  .command('validate')
  .description('check a fleet directory: schemas, references, policy, and every device resolving')
  .argument('[FLEET_DIR]', 'fleet root (holds fleet.yaml)', '.')
  .option('--json', 'print the report as JSON')
  .option('--verify-signatures <REV>', 'check that REV is signed as devices with `trust` require')
  .option('--since <REV>', 'with --verify-signatures: every commit after REV (what devices run)')
  .option('--allowed-signers <FILE>', "with --verify-signatures: the devices' allowed-signers file")
  .option('--openpgp-keys <FILE>', "with --verify-signatures: the devices' OpenPGP keys file")
  .option('--repository-signers <PATH>', 'the in-repository signers file', '.ferry/allowed_signers')
  .action(async (dir: string, options: ValidateOptions) => {
    if (options.verifySignatures) return verifyCommand(dir, options);
    const report = await validateFleet(new DirectoryReader(dir));
    if (options.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      for (const problem of report.problems) {
        const devices = problem.devices
          ? ` [device${problem.devices.length > 1 ? 's' : ''} ${problem.devices.join(', ')}]`
          : '';
        console.log(formatProblem(problem) + devices);
      }
      for (const warning of report.warnings) console.log(formatProblem(warning));
      console.log(
        report.valid
          ? `${dir}: valid (${plural(report.deployments, 'deployment')}, ${plural(report.devices.length, 'device')}` +
              `${report.warnings.length ? `, ${plural(report.warnings.length, 'warning')}` : ''})`
          : `${dir}: ${plural(report.problems.length, 'problem')}`,
      );
    }
    process.exitCode = report.valid ? 0 : 1;
  });

program
  .command('resolve')
  .description("print one device's desired state: deployments, services, images, config hashes")
  .argument('<FLEET_DIR>', 'fleet root (holds fleet.yaml)')
  .requiredOption('--device <ID>', 'device id (devices/<ID>.yaml)')
  .addOption(new Option('--arch <ARCH>', 'the device architecture label, as ferryd reports it'))
  .addOption(new Option('--os <OS>', 'the device os label, as ferryd reports it'))
  .option('--json', 'print the desired state as JSON')
  .action(
    async (
      dir: string,
      options: { device: string; arch?: string; os?: string; json?: boolean },
    ) => {
      const fleet = await loadFleet(new DirectoryReader(dir), new SchemaValidator());
      const facts = {
        ...(options.arch ? { arch: options.arch } : {}),
        ...(options.os ? { os: options.os } : {}),
      };
      const result = resolveDevice(fleet, options.device, facts);
      if (!result.state) throw new InvalidInputError(result.problems);
      console.log(
        options.json ? JSON.stringify(result.state, null, 2) : printDesired(result.state),
      );
    },
  );

program
  .command('plan')
  .description('per device: what a change from BASE to HEAD does and how many bytes it downloads')
  .argument('<REPO>', 'a local clone of the fleet repository')
  .requiredOption('--base <REV>', 'the revision devices run now')
  .requiredOption('--head <REV>', 'the revision under review')
  .option('--path <DIR>', 'fleet root inside the repository', '.')
  .option('--hub <URL>', 'plan each device from the revisions the hub says it runs')
  .option('--token-file <FILE>', 'the hub operator token (default: $FERRY_HUB_TOKEN)')
  .addOption(
    new Option('--format <FORMAT>', 'output format')
      .choices(['markdown', 'json'])
      .default('markdown'),
  )
  .action(async (repo: string, options: PlanOptions) => {
    const known = options.hub
      ? await hubKnows({
          url: options.hub,
          ...(options.tokenFile ? { tokenFile: options.tokenFile } : {}),
        })
      : undefined;
    const plan = await planRollout({
      repo,
      base: options.base,
      head: options.head,
      root: options.path,
      validator: new SchemaValidator(),
      registry: new RegistryClient({ credentials: dockerCredentials }),
      ...(known ? known : {}),
    }).catch((error: unknown) => {
      // An invalid head: the comment says why (and the command still fails).
      if (!(error instanceof InvalidInputError) || options.format === 'json') throw error;
      console.log(invalidPlanMarkdown(options.head, error.problems));
      process.exitCode = 1;
      return undefined;
    });
    if (!plan) return;
    console.log(options.format === 'json' ? JSON.stringify(plan, null, 2) : planMarkdown(plan));
  });

interface PlanOptions {
  base: string;
  head: string;
  path: string;
  format: string;
  hub?: string;
  tokenFile?: string;
}

/** Per device known to the hub: the revision each deployment runs, and how it fares. */
async function hubKnows(hub: { url: string; tokenFile?: string }) {
  const { hubDevices } = await import('../hub/hub-client.js');
  const devices = await hubDevices(hub);
  const status = (x: { status: string; code?: string }) =>
    `${x.status}${x.code ? ` ${x.code}` : ''}`;
  return {
    applied: new Map(
      devices.map((d) => [d.id, new Map(d.deployments.map((x) => [x.name, x.appliedRevision]))]),
    ),
    fares: Object.fromEntries(
      devices.map((d) => [d.id, Object.fromEntries(d.deployments.map((x) => [x.name, status(x)]))]),
    ),
  };
}

program.addCommand(buildCommand());
program.addCommand(pinCommand());
program.addCommand(analyzeCommand());
program.addCommand(builderCommand());
program.addCommand(hubCommand());
program.addCommand(statusCommand());
program.addCommand(beaconCommand());
program.addCommand(rolloutsCommand());

usageErrorsExit2(program);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof InvalidInputError) {
    for (const problem of error.problems) console.error(formatProblem(problem));
    process.exitCode = 1;
  } else if (error instanceof FerryError) {
    console.error(`ferry: ${error.message}`);
    process.exitCode = exitCodeFor(error);
  } else {
    throw error;
  }
}

interface ValidateOptions {
  json?: boolean;
  verifySignatures?: string;
  since?: string;
  allowedSigners?: string;
  openpgpKeys?: string;
  repositorySigners: string;
}

async function verifyCommand(dir: string, options: ValidateOptions): Promise<void> {
  if (!options.allowedSigners && !options.openpgpKeys)
    throw new FerryError(
      'FERRY_USAGE',
      '--verify-signatures needs --allowed-signers FILE or --openpgp-keys FILE',
    );
  const { verifySignatures } = await import('../validate/verify-signatures.js');
  const verdict = await verifySignatures({
    repo: dir,
    revision: options.verifySignatures ?? 'HEAD',
    ...(options.since ? { since: options.since } : {}),
    ...(options.allowedSigners ? { allowedSignersFile: options.allowedSigners } : {}),
    ...(options.openpgpKeys ? { openpgpKeysFile: options.openpgpKeys } : {}),
    root: '.',
    repositoryFile: options.repositorySigners,
  });
  if (options.json) console.log(JSON.stringify(verdict, null, 2));
  else if (verdict.ok)
    console.log(
      `${verdict.tip.slice(0, 12)}: signed (${plural(verdict.verified, 'commit')} verified)`,
    );
  else console.log(`${verdict.tip.slice(0, 12)}: refused [${verdict.code}]: ${verdict.reason}`);
  process.exitCode = verdict.ok ? 0 : 1;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
