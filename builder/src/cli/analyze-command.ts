// `ferry analyze FLEET_DIR --stack NAME`: shared and unique layer bytes across a stack's services.
import { Command } from 'commander';
import { RegistryClient } from '#kernel/oci/registry-client.js';
import { SchemaValidator } from '#kernel/validate.js';
import { analyzeStack } from '../analyze/analyze-stack.js';
import { formatAnalysis } from '../analyze/format-analysis.js';
import { parsePlatform } from '../pipeline/build-unit.js';
import { dockerCredentials } from '../config/docker-credentials.js';

export function analyzeCommand(): Command {
  return new Command('analyze')
    .description("shared vs unique layer bytes across a stack's services, with warnings")
    .argument('<FLEET_DIR>', 'fleet root (holds fleet.yaml)')
    .requiredOption('--stack <NAME>', 'deployment name, stack folder name or stack path')
    .option('--platform <OS/ARCH>', 'platform to analyse', 'linux/amd64')
    .option('--json', 'print the analysis as JSON')
    .action(async (dir: string, options: { stack: string; platform: string; json?: boolean }) => {
      const analysis = await analyzeStack(
        dir,
        options.stack,
        parsePlatform(options.platform),
        new SchemaValidator(),
        new RegistryClient({ credentials: dockerCredentials }),
      );
      console.log(options.json ? JSON.stringify(analysis, null, 2) : formatAnalysis(analysis));
      if (analysis.skipped.length > 0) {
        // An analysis that could not read every image is not a result to act on.
        console.error(
          `ferry analyze: ${analysis.skipped.length} service image(s) could not be read; build and push them first (ferry build ${dir} --push), or check the registry and its credentials`,
        );
        process.exitCode = 1;
      }
    });
}
