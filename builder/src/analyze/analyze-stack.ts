// `ferry analyze FLEET_DIR --stack NAME`: the stack's images as the registry holds them, for one
// platform, and how much of them the services share.
import type { ComposeService } from '#kernel/fleet/compose-model.js';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { loadFleet } from '#kernel/fleet/load-fleet.js';
import { parseComposeBuild } from '#kernel/fleet/compose-build.js';
import type { RegistryClient } from '#kernel/oci/registry-client.js';
import { formatPlatform, resolveImage, type Platform } from '#kernel/oci/resolve-image.js';
import { DirectoryReader } from '#kernel/source/directory-reader.js';
import { FerryError } from '#kernel/errors.js';
import type { SchemaValidator } from '#kernel/validate.js';
import { finalBaseImage } from '../dockerfile/dockerfile-base.js';
import { analyzeSharing, type ServiceImage, type StackSharing } from './layer-sharing.js';

export interface StackAnalysis extends StackSharing {
  readonly stack: string;
  readonly platform: string;
  /** Services whose image could not be analysed, with why. */
  readonly skipped: readonly { readonly service: string; readonly reason: string }[];
}

async function dockerfileBase(
  dir: string,
  stack: string,
  build: NonNullable<ComposeService['build']>,
): Promise<string | undefined> {
  const parsed = parseComposeBuild(build, stack);
  if ('error' in parsed) return undefined;
  const text = await readFile(join(dir, parsed.ok.dockerfilePath), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const args = Object.fromEntries(
    Object.entries(parsed.ok.args).filter((e): e is [string, string] => e[1] !== null),
  );
  return finalBaseImage(text, args, parsed.ok.target);
}

export async function analyzeStack(
  dir: string,
  name: string,
  platform: Platform,
  validator: SchemaValidator,
  registry: RegistryClient,
): Promise<StackAnalysis> {
  const fleet = await loadFleet(new DirectoryReader(dir), validator);
  const path =
    fleet.fleet.deployments.find((d) => d.name === name)?.stack ??
    [...fleet.stacks.keys()].find((p) => p === name || p.split('/').at(-1) === name);
  const stack = path && fleet.stacks.get(path);
  if (!stack) {
    const known = [...fleet.stacks.keys()].map((p) => p.split('/').at(-1)).join(', ');
    throw new FerryError('FERRY_NOT_FOUND', `no stack '${name}' in ${dir} (stacks: ${known})`);
  }
  const services = stack.compose.services;
  const images: ServiceImage[] = [];
  const skipped: { service: string; reason: string }[] = [];
  for (const [service, spec] of Object.entries(services)) {
    if (!spec.image || spec.image.includes('$')) {
      skipped.push({ service, reason: spec.image ? 'image uses ${VARIABLES}' : 'no image' });
      continue;
    }
    try {
      const resolved = await resolveImage(registry, spec.image, platform);
      const base = spec.build ? await dockerfileBase(dir, stack.path, spec.build) : undefined;
      images.push({
        service,
        image: spec.image,
        layers: resolved.layers,
        ...(base ? { base } : {}),
      });
    } catch (error) {
      skipped.push({ service, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return {
    stack: stack.path,
    platform: formatPlatform(platform),
    skipped,
    ...analyzeSharing(images),
  };
}
