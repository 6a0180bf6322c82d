/** The shape of a row of the flag table (flags.ts), and the names rows refer to. */
import type { z } from "zod";

export type Cloud = "aws" | "azure" | "gcp";
export const CLOUDS = ["aws", "azure", "gcp"] as const satisfies readonly Cloud[];

export type FlagKind =
  /** takes one value */
  | "value"
  /** takes a value and may be repeated; collected into a list */
  | "list"
  /** no value; true when given */
  | "switch"
  /** no value; --name sets true, --no-name sets false */
  | "negatable";

export type FlagGroup = "general" | "aws" | "azure" | "gcp" | "ebs" | "output";

export type CommandName = "render" | "config" | "validate" | "preflight" | "build" | "urls" | "provision" | "gc";
/** Commands that take the full set of image flags. */
export const IMAGE_COMMANDS = ["render", "config", "validate", "preflight", "build", "urls", "provision"] as const satisfies readonly CommandName[];
export const ALL_COMMANDS = [...IMAGE_COMMANDS, "gc"] as const satisfies readonly CommandName[];

/** One row of the table; `K` its config key, `T` its zod type, `D` its default. */
export interface Flag<K extends string = string, T extends z.ZodType = z.ZodType, D = unknown, Cs extends readonly CommandName[] = readonly CommandName[]> {
  /** Long name without dashes, e.g. "aws-region". */
  readonly name: string;
  /** Config key: the camelCase of the name (what commander produces). */
  readonly key: K;
  readonly kind: FlagKind;
  /** What the value means: format and type (a string, list of strings or boolean in; typed value out). */
  readonly type: T;
  /**
   * The default, written as on the command line ("20", "true", "2h") and parsed by `type`
   * like a given value. Absent: the option is undefined unless given (or inferred).
   */
  readonly default?: D;
  /** Commands that accept it: IMAGE_COMMANDS, ALL_COMMANDS, or a list of its own (a command's option). */
  readonly commands: Cs;
  /** Placeholder shown in help, e.g. "<region>". */
  readonly arg?: string;
  /**
   * What shell completion offers for the value; default: the `values` of an enum type, files
   * for <path>/<file>, directories for <dir>, else nothing.
   */
  readonly completes?: "nothing";
  /** Other spellings accepted on the command line, e.g. "ssh_user". */
  readonly aliases?: readonly string[];
  /** The cloud this flag belongs to; giving it selects (or conflicts with) that cloud. */
  readonly cloud?: Cloud;
  readonly group: FlagGroup;
  /** The default as help shows it, when `default` alone does not say it (or there is none to parse). */
  readonly defaultText?: string;
  readonly help: string;
  /** What a valid value looks like, and an example, for usage errors. */
  readonly expect?: string;
  readonly example?: string;
  /** Where the flag comes from: build.sh's surface, or arv-image's additions. */
  readonly origin: "build.sh" | "arv-image";
}

/** Any row, its key and types forgotten. */
export type FlagDef = Flag<string, z.ZodType, unknown>;
