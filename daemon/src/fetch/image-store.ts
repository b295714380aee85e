// The port through which the fetch stage reaches the engine's images: what is there, which
// layers each has, importing a thin tarball and removing what nothing needs. DockerImages
// implements it against the Engine API; the fetch stage never sees dockerode.
export interface ImageStore {
  /** IDs (config digests) of every image the engine has. */
  imageIds(): Promise<Set<string>>;
  /** IDs of the images carrying any of `tags`: one question, as large as its answer. */
  taggedIds(tags: readonly string[]): Promise<Set<string>>;
  /** The layer diff IDs of an image, bottom first; undefined when the engine no longer has it. */
  layersOf(id: string): Promise<readonly string[] | undefined>;
  /** Where the engine unpacks layers (for the free-disk check). */
  dataRoot(): Promise<string>;
  /** Imports a `docker save`-format tarball; rejects with the engine's reason. */
  load(tarball: NodeJS.ReadableStream): Promise<void>;
  /** Removes an image; false when the engine refuses (a container still uses it). */
  removeImage(id: string): Promise<boolean>;
}
