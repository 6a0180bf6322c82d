/** Shared by the commands: flags → resolved configuration, or a UsageError. */
import type { CommandName } from "../config/flags.js";
import { resolveConfig, type ResolvedConfig as ConfigData } from "../config/resolve.js";
import type { ResolvedConfig } from "../config/resolved.js";
import { UsageError } from "../errors.js";
import type { Io } from "../main.js";
import { detectPackerVersion } from "../packer/version.js";

/**
 * The frozen configuration for `command`, its warnings printed. `packerVersion`: the version
 * of the Packer that will run (build, validate); else `packer version` on the PATH.
 */
export async function resolveCommand<C extends CommandName>(command: C, raw: Readonly<Record<string, unknown>>, io: Io, packerVersion?: string): Promise<ResolvedConfig<C>> {
  const detected = raw.packerVersion === undefined ? (packerVersion ?? (await detectPackerVersion())) : undefined;
  const r = await resolveConfig({ command, raw, detectedPackerVersion: detected });
  if (!r.ok) throw new UsageError(r.problems);
  for (const w of r.config.warnings) io.stderr(`arv-image: warning: ${w}\n`);
  return r.config;
}

/**
 * @deprecated For build.ts, provision.ts and preflight.ts until they take the frozen config
 * from resolveCommand: a mutable copy (build.ts's applyInferred writes into it).
 */
export async function resolveOrFail(
  raw: Record<string, unknown>,
  io: Io,
  packerVersion?: string,
  opts: { cloudOptional?: boolean; noImage?: boolean; command?: CommandName } = {},
): Promise<ConfigData> {
  const detected = raw.packerVersion === undefined ? (packerVersion ?? (await detectPackerVersion())) : undefined;
  const r = await resolveConfig({ command: opts.command ?? "build", raw, detectedPackerVersion: detected, cloudOptional: opts.cloudOptional ?? false, noImage: opts.noImage ?? false });
  if (!r.ok) throw new UsageError(r.problems);
  for (const w of r.config.warnings) io.stderr(`arv-image: warning: ${w}\n`);
  return structuredClone(r.config) as ConfigData;
}
