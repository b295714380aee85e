// The image of a service that builds but names none (balena-style `build: ./frontend`): named
// after the stack and service in the fleet's registry, by the builder and the devices alike.
import { posix } from 'node:path';

export function builtImageName(registry: string, stackPath: string, service: string): string {
  const stack = posix
    .basename(stackPath)
    .toLowerCase()
    .replace(/[^a-z0-9._-]/g, '-');
  return `${registry.replace(/\/+$/, '')}/${stack}-${service.toLowerCase()}`;
}
