// `ferryd`: the gateway daemon's command line.
import { readFile } from 'node:fs/promises';
import { parseListen } from '#kernel/listen-address.js';
import { usageErrorsExit2 } from '#kernel/usage-exit.js';
import { Command } from 'commander';
import { FerryError, InvalidInputError, exitCodeFor } from '#kernel/errors.js';
import { formatProblem } from '#kernel/problem.js';
import { SchemaValidator } from '#kernel/validate.js';
import { loadDaemonConfig } from '../config/daemon-config.js';
import { FERRY_VERSION } from '#kernel/version.js';
import { printStatus, terminalProgress } from './print-status.js';

// The daemon itself (git, the engine, logging) is loaded only by `run` and `once`: `status`,
// `retry` and `healthcheck` (which the image runs every 30 s) start in a fraction of the time.
const daemonModules = async () => ({
  ...(await import('pino')),
  ...(await import('#kernel/logger.js')),
  ...(await import('../agent/agent-context.js')),
  ...(await import('../agent/hub-link.js')),
  ...(await import('../agent/daemon.js')),
  ...(await import('../agent/reconcile-pass.js')),
});

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

const DEFAULT_CONFIG = '/etc/ferry/ferryd.yaml';

program
  .command('run')
  .description('run the daemon: poll the fleet repository and reconcile on every change')
  .option('--config <FILE>', 'path to ferryd.yaml', DEFAULT_CONFIG)
  .action(async (options: { config: string }) => {
    const { createLogger, Daemon } = await daemonModules();
    const validator = new SchemaValidator();
    const config = await loadDaemonConfig(options.config, validator);
    const logger = createLogger('ferryd', {
      level: config.log.level,
      base: { device: config.device.id },
    });
    const daemon = new Daemon(config, validator, logger);
    await daemon.start();
    await new Promise<void>((resolve) => {
      const stop = () => void daemon.stop().then(resolve);
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
  });

program
  .command('once')
  .description('run one reconcile pass; exit 0 when converged, 1 when not, 2 on a bad config')
  .option('--config <FILE>', 'path to ferryd.yaml', DEFAULT_CONFIG)
  .option('--json', 'print the pass summary as one JSON line (logs go to stderr)')
  .action(async (options: { config: string; json?: boolean }) => {
    const {
      createLogger,
      destination,
      createPassContext,
      reconcilePass,
      hubReporter,
      passOutcome,
    } = await daemonModules();
    const validator = new SchemaValidator();
    const config = await loadDaemonConfig(options.config, validator);
    const logger = createLogger(
      'ferryd',
      { level: options.json ? 'warn' : config.log.level, base: { device: config.device.id } },
      destination(2),
    );
    const progress = process.stderr.isTTY ? terminalProgress(process.stderr) : undefined;
    const context = createPassContext(config, validator, logger, progress);
    const report = await reconcilePass(context);
    const reporter = hubReporter(config, logger);
    if (reporter) {
      // One pass, one report: sent before exit if the hub answers within a few seconds.
      await reporter.afterPass(await passOutcome(context, report));
      await Promise.race([reporter.flush(), new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    if (progress) process.stderr.write('\n');
    if (options.json) console.log(JSON.stringify(report));
    else
      printStatus({
        device: report.device,
        appliedRevision: report.converged ? report.revision : null,
        lastPass: report,
      });
    process.exitCode = report.converged ? 0 : 1;
  });

program
  .command('status')
  .description('ask a running ferryd for its status (GET /status); exit 1 when not converged')
  .option('--api <URL>', 'the daemon API', 'http://127.0.0.1:7780')
  .option('--token-file <FILE>', 'the API token (api.tokenFile), when the API needs one')
  .option('--json', 'print the raw status JSON')
  .action(async (options: { api: string; tokenFile?: string; json?: boolean }) => {
    const status = await askDaemon<Parameters<typeof printStatus>[0]>(options, '/status');
    if (options.json) console.log(JSON.stringify(status, null, 2));
    else printStatus(status);
    // Like `ferryd once`: 0 only when the last pass converged.
    process.exitCode = status.lastPass?.converged ? 0 : 1;
  });

program
  .command('retry')
  .description('try a held failed revision again now, of one deployment or of all (POST /retry)')
  .argument('[DEPLOYMENT]', 'the deployment (default: every held one)')
  .option('--api <URL>', 'the daemon API', 'http://127.0.0.1:7780')
  .option('--token-file <FILE>', 'the API token (api.tokenFile), when the API needs one')
  .action(async (deployment: string | undefined, options: { api: string; tokenFile?: string }) => {
    const path = `/retry${deployment ? `?deployment=${encodeURIComponent(deployment)}` : ''}`;
    await askDaemon(options, path, 'POST');
    console.log(`retrying ${deployment ?? 'every held deployment'}: the next pass starts now`);
  });

program
  .command('healthcheck')
  .description('exit 0 when the ferryd that ferryd.yaml describes answers on its api.listen')
  .option('--config <FILE>', 'path to ferryd.yaml', DEFAULT_CONFIG)
  .action(async (options: { config: string }) => {
    const config = await loadDaemonConfig(options.config, new SchemaValidator());
    const { host, port } = parseListen(config.api.listen);
    // A wildcard address is reached on loopback.
    const reach = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    await askDaemon(
      { api: `http://${reach.includes(':') ? `[${reach}]` : reach}:${port}` },
      '/healthz',
    );
  });

/** GET a path of a running ferryd's API; a clear error when it does not answer or refuses. */
async function askDaemon<T>(
  options: { api: string; tokenFile?: string },
  path: string,
  method = 'GET',
): Promise<T> {
  const token = options.tokenFile ? (await readFile(options.tokenFile, 'utf8')).trim() : undefined;
  const response = await fetch(new URL(path, options.api), {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(10_000),
  }).catch((error: Error) => {
    throw new FerryError('FERRY_USAGE', `no ferryd answering at ${options.api}: ${error.message}`);
  });
  if (response.status === 401)
    throw new FerryError('FERRY_USAGE', `${options.api} needs the API token: --token-file FILE`);
  if (!response.ok)
    throw new FerryError('FERRY_USAGE', `${options.api}${path} answered ${response.status}`);
  return (await response.json()) as T;
}

usageErrorsExit2(program);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof InvalidInputError) {
    for (const problem of error.problems) console.error(formatProblem(problem));
    process.exitCode = EXIT_BAD_CONFIG;
  } else if (error instanceof FerryError) {
    console.error(`ferryd: ${error.message}`);
    process.exitCode = exitCodeFor(error);
  } else {
    throw error;
  }
}
