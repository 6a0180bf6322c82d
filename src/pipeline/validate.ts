/** validate: render into a temporary directory, `packer init` (Packer >= 1.7) and `packer validate` there, clean up. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cloud } from "../config/flags.js";
import { EnvironmentError, UsageError } from "../errors.js";
import type { Progress } from "../io.js";
import { makeScrubber, packerEnvironment } from "../packer/environment.js";
import type { Packer } from "../packer/find.js";
import { initAndValidate } from "../packer/validate.js";
import { renderBuildDir, type RenderResult } from "../render/build-dir.js";
import { writeBuildDir } from "../render/write.js";
import { packerAndConfig, secretsOf, type ParsedOptions } from "./resolve.js";

export interface ValidateResult {
  cloud: Cloud;
  packer: Packer;
}

/** The validate step for a rendered build directory. */
export const validateStepFor = (result: RenderResult, verbose = false) => ({ init: result.files.some((f) => f.path === "versions.pkr.hcl"), cloud: result.cloud, verbose });

export async function validatePipeline(raw: ParsedOptions, progress: Progress): Promise<ValidateResult> {
  const { packer, c } = await packerAndConfig("validate", raw, progress);
  if (c.legacyTemplate) {
    throw new UsageError(
      `--json-file ${JSON.stringify(c.legacyTemplate.path)}: validate checks arv-image's own HCL2; for a site's JSON template run packer validate on it directly, or replace --json-file with --cloud aws|azure|gcp.`,
    );
  }
  const scrub = makeScrubber(secretsOf(c));
  // --verbose: Packer's own debug log, shown with its output (the directory is temporary).
  const env = packerEnvironment(
    process.env,
    c.secretsFiles.map((s) => s.env),
    c.command.verbose ? { PACKER_LOG: "1" } : {},
  );
  const parent = await mkdtemp(join(tmpdir(), "arv-image-validate-")).catch((e: unknown) => {
    throw new EnvironmentError(
      `cannot create a temporary directory in TMPDIR ${JSON.stringify(tmpdir())} (${(e as NodeJS.ErrnoException).code ?? "error"}); set TMPDIR to a writable directory, e.g. TMPDIR=/tmp.`,
    );
  });
  try {
    const result = renderBuildDir(c, c.cloud);
    const dir = await writeBuildDir(join(parent, "build"), result.files);
    await initAndValidate(packer, dir, validateStepFor(result, c.command.verbose), env, scrub, progress);
    return { cloud: c.cloud, packer };
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}
