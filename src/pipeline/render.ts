/** render: the build directory for these flags, written into --out. */
import { rm } from "node:fs/promises";
import type { Cloud } from "../config/flags.js";
import { interrupted, throwIfInterrupted } from "../interrupt.js";
import type { ResolvedConfig } from "../config/resolve.js";
import { UsageError } from "../errors.js";
import type { Progress } from "../io.js";
import { renderBuildDir } from "../render/build-dir.js";
import { checkOutDir, writeBuildDir } from "../render/write.js";
import { resolveOrFail } from "./resolve.js";

export interface RenderedDir {
  dir: string;
  cloud: Cloud;
  files: number;
  packerVersion: string;
  packerSource: ResolvedConfig["packer"]["source"];
  /** What this Packer cannot do, left out of the templates. */
  omitted: string[];
}

export async function renderPipeline(raw: Record<string, unknown>, progress: Progress): Promise<RenderedDir> {
  const problems: string[] = [];
  const out = raw.out as string | undefined;
  if (out === undefined) problems.push(`--out is required for render: the build directory to create, e.g. --out ./build-zzzzz.`);
  else {
    const p = await checkOutDir(out);
    if (p) problems.push(p);
  }
  let config;
  try {
    config = await resolveOrFail(raw, progress);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError([...problems, ...e.problems]);
    throw e;
  }
  if (problems.length > 0) throw new UsageError(problems);
  if (config.cloud === undefined || config.legacyTemplate) {
    throw new UsageError(
      `--json-file ${JSON.stringify(config.legacyTemplate?.path ?? "")}: a site's own JSON template is run as it is by \`arv-image build\` (legacy pass-through); render only writes arv-image's HCL2. To render, replace --json-file with --cloud aws|azure|gcp, e.g. --cloud aws.`,
    );
  }
  const result = renderBuildDir(config, config.cloud);
  throwIfInterrupted("rendering");
  const dir = await writeBuildDir(out as string, result.files);
  if (interrupted() !== undefined) {
    // All or nothing: an interrupted render leaves no directory, not even a whole one.
    await rm(dir, { recursive: true, force: true });
    throwIfInterrupted("rendering");
  }
  return { dir, cloud: config.cloud, files: result.files.length, packerVersion: result.packer.version, packerSource: config.packer.source, omitted: [...result.omitted] };
}
