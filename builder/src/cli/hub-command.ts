// `ferry hub --config hub.yaml`: the service gateways report to; `ferry hub enroll DEVICE`: a
// device's token (printed once; the hub keeps only its hash).
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { createLogger } from '#kernel/logger.js';
import { FerryError } from '#kernel/errors.js';
import { SchemaValidator } from '#kernel/validate.js';

/**
 * The hub's modules load the database drivers (a native SQLite binding, pg): loaded when a hub
 * command runs, so that every other `ferry` command starts without them (about 0.4 s).
 */
const hubModules = async () => ({
  ...(await import('../hub/hub-config.js')),
  ...(await import('../hub/hub-server.js')),
  ...(await import('../rollouts/run-controller.js')),
});

export function hubCommand(): Command {
  const hub = new Command('hub')
    .description('the fleet hub: gateways report to it, operators read the fleet from it')
    // Not required here: `ferry hub enroll` takes its own --config.
    .option('--config <FILE>', 'path to hub.yaml')
    .action(async (options: { config?: string }) => {
      if (!options.config)
        throw new FerryError('FERRY_USAGE', "required option '--config <FILE>' not specified");
      await serveHub(options.config);
    });
  hub
    .command('enroll')
    .description('enroll a device and print its token (a new token replaces the old one)')
    .argument('<DEVICE>', 'the device id (devices/<DEVICE>.yaml)')
    .option('--config <FILE>', 'path to hub.yaml')
    .action(async (device: string, own: { config?: string }) => {
      // `ferry hub enroll D --config F`: commander hands --config to the parent command.
      const options = { config: own.config ?? (hub.opts() as { config?: string }).config };
      if (!options.config)
        throw new FerryError('FERRY_USAGE', "required option '--config <FILE>' not specified");
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(device))
        throw new FerryError(
          'FERRY_USAGE',
          `'${device}' is not a device id (letters, digits, . _ -)`,
        );
      const { loadHubConfig, openStore, tokenHash } = await hubModules();
      const config = await loadHubConfig(options.config, new SchemaValidator());
      const store = await openStore(config);
      const token = randomBytes(32).toString('base64url');
      await store.enroll(device, tokenHash(token));
      await store.close();
      console.log(token);
    });
  return hub;
}

/** `ferry hub --config FILE`: serves until SIGINT or SIGTERM. */
async function serveHub(file: string): Promise<void> {
  const modules = await hubModules();
  const validator = new SchemaValidator();
  const config = await modules.loadHubConfig(file, validator);
  const operatorToken = await modules.readOperatorToken(config);
  const enrollmentSecret = await modules.readEnrollmentSecret(config);
  const store = await modules.openStore(config);
  const logger = createLogger('ferry-hub');
  const server = await modules.startHubServer({
    listen: config.listen,
    store,
    validator,
    operatorToken,
    ...(enrollmentSecret ? { enrollmentSecret } : {}),
    heartbeatMs: config.heartbeatMs,
  });
  logger.info({ event: 'hub.started', listen: `${server.host}:${server.port}` }, 'hub started');
  // With `rollouts:`, the rollout controller runs here, reading this hub's own API.
  const stopRollouts = new AbortController();
  const rollouts = config.rollouts
    ? modules.runController(
        {
          ...config.rollouts,
          hub: { url: `http://${server.host}:${server.port}`, token: operatorToken },
          logger: logger.child({ name: 'ferry-rollouts' }),
        },
        config.rollouts.intervalMs,
        stopRollouts.signal,
      )
    : Promise.resolve();
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        stopRollouts.abort();
        void server
          .stop()
          .then(() => rollouts)
          .then(() => store.close())
          .then(resolve);
      });
  });
  logger.info({ event: 'hub.stopped' }, 'hub stopped');
}
