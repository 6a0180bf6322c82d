/** Shared by the image commands: flags → resolved configuration, or a UsageError. */
import { resolveConfig, type ResolvedConfig } from "../config/resolve.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { detectPackerVersion } from "../packer/version.js";

/** `packerVersion`: the version of the Packer that will run (build, validate); else `packer version` on the PATH. */
export async function resolveOrFail(raw: Record<string, unknown>, io: Io, packerVersion?: string, opts: { cloudOptional?: boolean; noImage?: boolean } = {}): Promise<ResolvedConfig> {
  const detected = raw.packerVersion === undefined ? (packerVersion ?? (await detectPackerVersion())) : undefined;
  const r = await resolveConfig({ raw, detectedPackerVersion: detected, cloudOptional: opts.cloudOptional, noImage: opts.noImage });
  if (!r.ok) throw new UsageError(r.problems);
  for (const w of r.config.warnings) io.stderr(`arv-image: warning: ${w}\n`);
  return r.config;
}
