// The top-level objects of a Compose file besides services: networks, volumes, configs and
// secrets, as schema/compose.schema.json admits them (see compose-model.ts).
import type { StringMapOrList } from './compose-model.js';

/** `external: true`, or the older `external: { name: NAME }`. */
export type ComposeExternal = boolean | { readonly name?: string };

export interface ComposeNetwork {
  readonly name?: string;
  readonly driver?: string;
  readonly driver_opts?: Readonly<Record<string, string | number>>;
  readonly external?: ComposeExternal;
  readonly internal?: boolean;
  readonly attachable?: boolean;
  readonly enable_ipv6?: boolean;
  readonly labels?: StringMapOrList;
  readonly ipam?: {
    readonly driver?: string;
    readonly config?: readonly {
      readonly subnet?: string;
      readonly ip_range?: string;
      readonly gateway?: string;
      readonly aux_addresses?: Readonly<Record<string, string>>;
    }[];
    readonly options?: Readonly<Record<string, string>>;
  };
}

export interface ComposeVolume {
  readonly name?: string;
  readonly driver?: string;
  readonly driver_opts?: Readonly<Record<string, string | number>>;
  readonly external?: ComposeExternal;
  readonly labels?: StringMapOrList;
}

/** A top-level `configs:` entry: from a repository file, inline content, or a device variable. */
export interface ComposeConfig {
  readonly name?: string;
  readonly file?: string;
  readonly content?: string;
  readonly environment?: string;
}

/** A top-level `secrets:` entry: a file on the device, or a device variable. */
export interface ComposeSecret {
  readonly name?: string;
  readonly file?: string;
  readonly environment?: string;
}
