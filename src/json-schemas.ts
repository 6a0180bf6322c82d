/**
 * The `--json` document of each command that has one: its schema name, and the document a
 * command line that fails before the command runs still leaves on stdout (main.ts).
 */
import type { CommandName } from "./config/flags.js";

export const RESULT_SCHEMA = "arv-image.build-result/v1";
export const PREFLIGHT_SCHEMA = "arv-image.preflight/v1";
export const GC_SCHEMA = "arv-image.gc/v1";
export const URLS_SCHEMA = "arv-image.urls/v1";
export const PROVISION_SCHEMA = "arv-image.provision-result/v1";
export const CONFIG_SCHEMA = "arv-image.config/v1";

const SCHEMAS: Partial<Record<CommandName, string>> = {
  build: RESULT_SCHEMA,
  preflight: PREFLIGHT_SCHEMA,
  gc: GC_SCHEMA,
  urls: URLS_SCHEMA,
  provision: PROVISION_SCHEMA,
  config: CONFIG_SCHEMA,
};

/** The failure document of `command` (`interrupted`: the signal that stopped it), or undefined for a command without --json. */
export function failureDocument(command: string | undefined, f: { error: string; exitCode: number; interrupted?: string }): string | undefined {
  const schema = command === undefined ? undefined : SCHEMAS[command as CommandName];
  if (schema === undefined) return undefined;
  const doc = { schema, ok: false, ...(command === "build" ? { images: [] } : {}), ...(command === "gc" ? { actions: [] } : {}), ...f };
  return JSON.stringify(doc, null, 2) + "\n";
}
