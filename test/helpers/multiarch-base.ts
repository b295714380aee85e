// A two-platform base image (linux/amd64 and linux/arm64 busybox) in the test registry, pushed as
// an OCI index with a correct config per platform: `docker import` would label both amd64.
// The arm64 busybox comes from Debian's arm64 package (test/env/up.sh fetches it).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { parseImageReference } from '#kernel/oci/image-reference.js';
import { MEDIA } from '#kernel/oci/media-types.js';
import { RegistryPublisher } from '../../builder/src/push/registry-publisher.js';
import { testEnv } from './test-env.js';

export const MULTIARCH_BASE = `${testEnv.registry}/ferry-test/busybox-multi:1`;
const APPLETS = ['sh', 'cat', 'echo', 'sleep', 'uname', 'wget', 'mkdir', 'cp', 'ls', 'httpd'];
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function rootfs(busybox: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve) => pack.on('end', resolve));
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const common = { mtime: new Date('2020-01-01T00:00:00Z'), uid: 0, gid: 0 };
  pack.entry({ ...common, name: 'bin/', type: 'directory', mode: 0o755 });
  pack.entry({ ...common, name: 'bin/busybox', mode: 0o755 }, busybox);
  for (const applet of APPLETS)
    pack.entry({ ...common, name: `bin/${applet}`, type: 'symlink', linkname: 'busybox' });
  pack.entry({ ...common, name: 'tmp/', type: 'directory', mode: 0o1777 });
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

let pushed: Promise<string> | undefined;

/** Pushes the base (once per test process); resolves to its reference. */
export function multiArchBase(): Promise<string> {
  pushed ??= (async () => {
    const client = new RegistryPublisher();
    const ref = parseImageReference(MULTIARCH_BASE);
    const manifests = [];
    const binaries = {
      amd64: '/bin/busybox',
      arm64: join(testEnv.home, 'arm64/busybox'),
    };
    for (const [architecture, path] of Object.entries(binaries)) {
      const layer = await rootfs(await readFile(path));
      const gzip = gzipSync(layer, { level: 6 });
      const config = Buffer.from(
        JSON.stringify({
          architecture,
          os: 'linux',
          config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
          rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
        }),
      );
      await client.pushBlob(ref, sha256(gzip), gzip);
      await client.pushBlob(ref, sha256(config), config);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA.ociManifest,
          config: { mediaType: MEDIA.ociConfig, digest: sha256(config), size: config.length },
          layers: [{ mediaType: MEDIA.ociLayerGzip, digest: sha256(gzip), size: gzip.length }],
        }),
      );
      const digest = await client.putManifest(ref, sha256(manifest), MEDIA.ociManifest, manifest);
      manifests.push({
        mediaType: MEDIA.ociManifest,
        digest,
        size: manifest.length,
        platform: { os: 'linux', architecture },
      });
    }
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }),
    );
    await client.putManifest(ref, ref.tag!, MEDIA.ociIndex, index);
    return MULTIARCH_BASE;
  })();
  return pushed;
}
