/**
 * The resolved configuration: what every command receives, typed and frozen. Nothing
 * changes it after resolution; what is learned later (preflight's choices) makes a new
 * one (withInferred).
 */
import type { ArvadosClusterFacts } from "./arvados-facts.js";
import type { Cloud, CommandName, CommandOptionKey } from "./flags.js";
import type { OptionKey, Options } from "./schema.js";
import type { PublicKey } from "./ssh-key.js";
import type { UrlKey } from "../releases/versions.js";
import type { BaseOs } from "../releases/base-os.js";
import type { ReleaseChoice } from "./release.js";

/** Source-image settings that --base-os fills in when not given. */
export type BaseOsImageKey = "azureImagePublisher" | "azureImageOffer" | "azureSku" | "gcpSourceImageFamily" | "gcpSourceImageProject";

export type Source = "default" | "flag" | "inferred" | "detected" | "secrets file" | "cluster config";

export interface HostsEntry {
  ip: string;
  names: string[];
}

export interface SecretsFile {
  flag: string;
  path: string;
  env: Record<string, string>;
}

/** What the command that runs was given besides the image flags, typed (e.g. `config.command.json`). */
export type CommandOptions<C extends CommandName = CommandName> = { name: C } & Pick<Options, CommandOptionKey>;

/** The plain shape, as resolution builds it. */
export interface ConfigData<C extends CommandName = CommandName> {
  /** undefined only for a legacy JSON template with no cloud flags. */
  cloud: Cloud | undefined;
  options: Options & { sshUser: string; pinPackages: boolean } & Record<BaseOsImageKey, string>;
  sources: Partial<Record<OptionKey, Source>>;
  /** The options of the command that runs (also in `options`, until every caller reads them here). */
  command: CommandOptions<C>;
  /** --arvados-version: the release table's pins, and the Arvados packages' pin. */
  release: ReleaseChoice;
  /** --base-os: the distribution and its official images. */
  baseOs: BaseOs;
  publicKeys: PublicKey[];
  hostsEntries: HostsEntry[];
  /** --arvados-config: what the cluster's config.yml says. */
  cluster?: ArvadosClusterFacts;
  /** --mirror: public download locations replaced, by URLS key. */
  mirrors: Partial<Record<UrlKey, string>>;
  secretsFiles: SecretsFile[];
  /** A non-stock --json-file: run as is by `build`, with build.sh's variables. */
  legacyTemplate?: { path: string; variables: [string, string][] };
  packer: { version: string; source: Source };
  warnings: string[];
}

export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** The resolved configuration: deeply readonly, and frozen at run time. */
export type ResolvedConfig<C extends CommandName = CommandName> = DeepReadonly<ConfigData<C>>;

export function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value as DeepReadonly<T>;
}

/** What preflight learned that the build should use (structurally preflight's `Inferred`). */
export interface InferredValues {
  readonly awsSourceAmi?: { readonly id: string };
  readonly sshUser?: string;
  readonly awsRootDevice?: string;
}

/**
 * A new configuration with preflight's choices in it, marked "detected"; `config` is left as
 * it was. Only what the command line left open is filled in: a given --aws-source-ami or
 * --aws-root-device stays, and the SSH user only replaces the one inferred from the cloud.
 */
export function withInferred<C extends CommandName>(config: ResolvedConfig<C>, inferred: InferredValues): ResolvedConfig<C> {
  const options = { ...config.options };
  const sources = { ...config.sources };
  if (inferred.awsSourceAmi && options.awsSourceAmi === undefined) {
    options.awsSourceAmi = inferred.awsSourceAmi.id;
    sources.awsSourceAmi = "detected";
  }
  if (inferred.awsRootDevice && options.awsRootDevice === undefined) {
    options.awsRootDevice = inferred.awsRootDevice;
    sources.awsRootDevice = "detected";
  }
  if (inferred.sshUser && sources.sshUser === "inferred") {
    options.sshUser = inferred.sshUser;
    sources.sshUser = "detected";
  }
  return deepFreeze({ ...config, options, sources }) as ResolvedConfig<C>;
}
