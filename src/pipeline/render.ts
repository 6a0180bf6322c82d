/** render: the build directory for these flags, written into --out. */
import { rm } from "node:fs/promises";
import type { Cloud } from "../config/flags.js";
import type { ResolvedConfig } from "../config/resolved.js";
import { InternalError, UsageError } from "../errors.js";
import { interrupted, throwIfInterrupted } from "../interrupt.js";
import type { Progress } from "../io.js";
import { renderBuildDir } from "../render/build-dir.js";
import { writeBuildDir } from "../render/write.js";
import { resolveCommand, type ParsedOptions } from "./resolve.js";

export interface RenderedDir {
  dir: string;
  cloud: Cloud;
  files: number;
  packerVersion: string;
  packerSource: ResolvedConfig["packer"]["source"];
  /** What this Packer cannot do, left out of the templates. */
  omitted: string[];
}

export async function renderPipeline(raw: ParsedOptions, progress: Progress): Promise<RenderedDir> {
  // Resolution checks --out too (required for render, new or empty, its parent there).
  const config = await resolveCommand("render", raw, progress);
  const out = config.command.out;
  if (out === undefined) throw new InternalError("render resolved without --out");
  if (config.cloud === undefined || config.legacyTemplate) {
    throw new UsageError(
      `--json-file ${JSON.stringify(config.legacyTemplate?.path ?? "")}: a site's own JSON template is run as it is by \`arv-image build\` (legacy pass-through); render only writes arv-image's HCL2. To render, replace --json-file with --cloud aws|azure|gcp, e.g. --cloud aws.`,
    );
  }
  const result = renderBuildDir(config, config.cloud);
  throwIfInterrupted("rendering");
  const dir = await writeBuildDir(out, result.files);
  if (interrupted() !== undefined) {
    // All or nothing: an interrupted render leaves no directory, not even a whole one.
    await rm(dir, { recursive: true, force: true });
    throwIfInterrupted("rendering");
  }
  return { dir, cloud: config.cloud, files: result.files.length, packerVersion: result.packer.version, packerSource: config.packer.source, omitted: [...result.omitted] };
}
