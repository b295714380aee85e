// Where the content of mounts that are not device paths lives on the device (state.dir): files
// and folders shipped from the repository, content-addressed under files/ (written once, verified,
// then only read); data folders of deployments under data/ (created on first use, never deleted by
// Ferry); secrets from ferryd's environment under secrets/ (mode 0400, never logged). A container
// is created from a copy of its service whose such mounts point at these paths.
import { chmod, chown, cp, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FerryError } from '#kernel/errors.js';
import type { DesiredService, Mount, MountOrigin } from '#kernel/fleet/desired-state.js';
import { readShipped } from '#kernel/fleet/shipped-files.js';
import type { FleetReader } from '#kernel/source/fleet-reader.js';

export interface ShippedStoreOptions {
  /** state.dir: must be the same path on the host as for ferryd (mounted at that path). */
  readonly dir: string;
  /** The repository at a revision (the git source's reader). */
  readonly readerAt: (revision: string) => Promise<FleetReader>;
  /** Where secrets with `environment:` come from: ferryd's own environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export class ShippedStore {
  constructor(private readonly options: ShippedStoreOptions) {}

  /** The service with each such mount as a bind of a path that now exists on the device. */
  async prepare(
    service: DesiredService,
    revision: string | null,
    container: string,
  ): Promise<DesiredService> {
    if (!service.mounts.some((m) => m.origin)) return service;
    const mounts: Mount[] = [];
    for (const mount of service.mounts) {
      if (!mount.origin) {
        mounts.push(mount);
        continue;
      }
      const source = await this.#place(mount, mount.origin, revision, container);
      // The engine gets a path that exists: nothing for it to create.
      const { origin: _origin, file: _file, ...rest } = mount;
      mounts.push({ ...rest, type: 'bind', source, createHostPath: false });
    }
    return { ...service, mounts };
  }

  async #place(
    mount: Mount,
    origin: MountOrigin,
    revision: string | null,
    container: string,
  ): Promise<string> {
    const { dir } = this.options;
    switch (origin.kind) {
      case 'data': {
        const path = join(dir, 'data', origin.path);
        await mkdir(path, { recursive: true });
        return path;
      }
      case 'repository': {
        const stored = await this.#repository(origin, revision);
        if (!mount.readOnly) return this.#writableCopy(stored, origin.digest, container);
        return mount.file ? this.#variant(stored, origin.digest, mount.file) : stored;
      }
      case 'inline': {
        const stored = join(dir, 'files', hexOf(origin.digest), origin.name);
        await writeOnce(stored, origin.content);
        return mount.file ? this.#variant(stored, origin.digest, mount.file) : stored;
      }
      case 'environment': {
        const value = (this.options.env ?? process.env)[origin.variable];
        if (value === undefined)
          throw new FerryError(
            'FERRY_CONFIG',
            `secret '${origin.name}': ${origin.variable} is not set in ferryd's environment`,
          );
        const path = join(dir, 'secrets', container, origin.name);
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        await writeFile(path, value, { mode: mount.file?.mode ?? 0o400 });
        await chmod(path, mount.file?.mode ?? 0o400);
        await owner(path, mount.file);
        return path;
      }
    }
  }

  /** files/HEX/NAME: written once from the repository at `revision`, checked against the digest. */
  async #repository(
    origin: Extract<MountOrigin, { kind: 'repository' }>,
    revision: string | null,
  ): Promise<string> {
    const home = join(this.options.dir, 'files', hexOf(origin.digest));
    const path = join(home, basename(origin.path));
    if (await exists(path)) return path;
    if (revision === null)
      throw new FerryError('FERRY_NOT_FOUND', `${origin.path}: no revision to read it from`);
    const reader = await this.options.readerAt(revision);
    const entry = await readShipped(reader, origin.path);
    if (!entry || entry.digest !== origin.digest)
      throw new FerryError(
        'FERRY_INVALID',
        `${origin.path} at ${revision.slice(0, 12)} is not the content the fleet named`,
        { path: origin.path, digest: origin.digest },
      );
    const partial = `${home}.partial`;
    await rm(partial, { recursive: true, force: true });
    for (const file of entry.files) {
      const target = join(partial, basename(origin.path), file.path);
      const bytes = await reader.readBytes(
        file.path === '' ? origin.path : `${origin.path}/${file.path}`,
        file.size,
      );
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, bytes ?? Buffer.alloc(0), { mode: file.executable ? 0o755 : 0o644 });
    }
    if (entry.files.length === 0)
      await mkdir(join(partial, basename(origin.path)), { recursive: true });
    await rm(home, { recursive: true, force: true });
    await rename(partial, home);
    return path;
  }

  /** A container that asks to write gets its own copy, made fresh for each content. */
  async #writableCopy(stored: string, digest: string, container: string): Promise<string> {
    const copy = join(this.options.dir, 'files', 'rw', container, hexOf(digest), basename(stored));
    if (!(await exists(copy))) await copyWhole(stored, copy);
    return copy;
  }

  /** A copy with the owner and mode a config or secret asks for. */
  async #variant(
    stored: string,
    digest: string,
    file: NonNullable<Mount['file']>,
  ): Promise<string> {
    const tag = `${hexOf(digest)}-${file.uid ?? ''}-${file.gid ?? ''}-${file.mode?.toString(8) ?? ''}`;
    const copy = join(this.options.dir, 'files', tag, basename(stored));
    if (!(await exists(copy)))
      await copyWhole(stored, copy, async (path) => {
        if (file.mode !== undefined) await chmod(path, file.mode);
        await owner(path, file);
      });
    return copy;
  }
}

/** What `sweep` keeps: content still named by a desired or last known good version. */
export interface ShippedKeep {
  readonly digests: ReadonlySet<string>;
  /** Container names (`DesiredService.containerName`) that still have a service. */
  readonly containers: ReadonlySet<string>;
}

/** Removes stored content nothing names any more; data folders are never touched. */
export async function sweepShipped(dir: string, keep: ShippedKeep): Promise<number> {
  const hexes = new Set([...keep.digests].map(hexOf));
  let removed = 0;
  const drop = async (path: string) => {
    await rm(path, { recursive: true, force: true });
    removed += 1;
  };
  const files = join(dir, 'files');
  for (const name of await readdir(files).catch(() => [] as string[])) {
    if (name === 'rw') continue;
    if (!hexes.has(name.split(/[-.]/)[0] ?? '')) await drop(join(files, name));
  }
  for (const container of await readdir(join(files, 'rw')).catch(() => [] as string[])) {
    if (!keep.containers.has(container)) await drop(join(files, 'rw', container));
    else
      for (const hex of await readdir(join(files, 'rw', container)).catch(() => [] as string[]))
        if (!hexes.has(hex)) await drop(join(files, 'rw', container, hex));
  }
  for (const container of await readdir(join(dir, 'secrets')).catch(() => [] as string[]))
    if (!keep.containers.has(container)) await drop(join(dir, 'secrets', container));
  return removed;
}

function hexOf(digest: string): string {
  return digest.replace(/^sha256:/, '');
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/**
 * Copies to a temporary name and renames: a power cut mid-copy leaves no half copy that a
 * restart would take for a whole one.
 */
async function copyWhole(
  from: string,
  to: string,
  finish: (path: string) => Promise<void> = async () => undefined,
): Promise<void> {
  const partial = `${to}.partial`;
  await mkdir(dirname(to), { recursive: true });
  await rm(partial, { recursive: true, force: true });
  await cp(from, partial, { recursive: true });
  await finish(partial);
  await rename(partial, to);
}

async function writeOnce(path: string, content: string): Promise<void> {
  if (await exists(path)) return;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(`${path}.partial`, content, { mode: 0o644 });
  await rename(`${path}.partial`, path);
}

/** Numeric uid/gid as Compose gives them; names would need the container's own passwd file. */
async function owner(path: string, file: Mount['file']): Promise<void> {
  if (file?.uid === undefined && file?.gid === undefined) return;
  await chown(path, Number(file.uid ?? -1), Number(file.gid ?? -1));
}
