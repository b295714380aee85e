// The registry client with the push half of the distribution API (blob upload and mount,
// manifest put): the builder publishes images; ferryd only ever pulls, so it has none of this.
import { createHash } from 'node:crypto';
import { FerryError } from '#kernel/errors.js';
import type { ImageReference } from '#kernel/oci/image-reference.js';
import { RegistryClient } from '#kernel/oci/registry-client.js';

export class RegistryPublisher extends RegistryClient {
  async hasBlob(
    ref: Pick<ImageReference, 'host' | 'repository'>,
    digest: string,
  ): Promise<boolean> {
    const response = await this.request(ref, `/v2/${ref.repository}/blobs/${digest}`, {
      method: 'HEAD',
      push: true,
    });
    return response.ok;
  }

  /**
   * Monolithic blob upload (POST then PUT with the digest), skipped when the registry has the
   * blob. `bytes` may be a file opened as a Blob (`fs.openAsBlob`): it is streamed, not read.
   * With `mountFrom`, the registry is first asked to mount the blob from another repository of
   * its own (no bytes sent); registries that cannot mount answer with a plain upload session.
   */
  async pushBlob(
    ref: Pick<ImageReference, 'host' | 'repository'>,
    digest: string,
    bytes: Buffer | Blob,
    mountFrom?: string,
  ): Promise<'present' | 'mounted' | 'uploaded'> {
    if (await this.hasBlob(ref, digest)) return 'present';
    const mount = mountFrom
      ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}`
      : '';
    const start = await this.request(ref, `/v2/${ref.repository}/blobs/uploads/${mount}`, {
      method: 'POST',
      push: true,
    });
    await start.body?.cancel();
    if (start.status === 201 && mountFrom) return 'mounted';
    const location = start.headers.get('location');
    if (start.status !== 202 || !location)
      throw new FerryError(
        'FERRY_REGISTRY',
        `blob upload to ${ref.repository}: HTTP ${start.status}`,
      );
    const upload = new URL(location, this.baseUrls(ref.host).at(-1));
    upload.searchParams.set('digest', digest);
    const put = await this.request(ref, `${upload.pathname}${upload.search}`, {
      method: 'PUT',
      push: true,
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    await put.body?.cancel();
    if (put.status !== 201)
      throw new FerryError(
        'FERRY_REGISTRY',
        `blob upload of ${digest.slice(0, 19)}: HTTP ${put.status}`,
      );
    return 'uploaded';
  }

  /**
   * Asks the registry to mount a blob from another of its repositories; false when it would
   * rather have the bytes (it answered with an upload session, which is left to expire).
   */
  async mountBlob(
    ref: Pick<ImageReference, 'host' | 'repository'>,
    digest: string,
    from: string,
  ): Promise<boolean> {
    const query = `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const response = await this.request(ref, `/v2/${ref.repository}/blobs/uploads/${query}`, {
      method: 'POST',
      push: true,
    });
    await response.body?.cancel();
    return response.status === 201;
  }

  async putManifest(
    ref: Pick<ImageReference, 'host' | 'repository'>,
    reference: string,
    mediaType: string,
    bytes: Buffer,
  ): Promise<string> {
    const response = await this.request(ref, `/v2/${ref.repository}/manifests/${reference}`, {
      method: 'PUT',
      push: true,
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    await response.body?.cancel();
    if (response.status !== 201)
      throw new FerryError(
        'FERRY_REGISTRY',
        `manifest push to ${ref.repository}:${reference}: HTTP ${response.status}`,
      );
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  }
}
