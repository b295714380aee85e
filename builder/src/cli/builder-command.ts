// `ferry builder --config FILE`: the long-running build service.
import { Command } from 'commander';
import { createLogger } from '#kernel/logger.js';
import { SchemaValidator } from '#kernel/validate.js';
import { loadBuilderConfig } from '../service/builder-config.js';

export function builderCommand(): Command {
  return new Command('builder')
    .description('watch fleet repositories and build, pin and push each new commit')
    .requiredOption('--config <FILE>', 'path to builder.yaml')
    .action(async (options: { config: string }) => {
      const { BuilderService } = await import('../service/builder-service.js');
      const config = await loadBuilderConfig(options.config, new SchemaValidator());
      const logger = createLogger('ferry-builder');
      const service = new BuilderService(config, logger);
      await service.start();
      logger.info(
        { event: 'builder.started', repositories: config.repositories.map((r) => r.name) },
        'started',
      );
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const)
          process.once(signal, () => {
            logger.info({ event: 'builder.stopping', signal }, 'stopping');
            void service.stop().then(resolve);
          });
      });
    });
}
