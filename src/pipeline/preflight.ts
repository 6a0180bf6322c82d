/** preflight on its own: the checks `build` runs first, with what the report needs. */
import type { Cloud } from "../config/flags.js";
import type { CheckName } from "../config/preflight-checks.js";
import { EnvironmentError, UsageError } from "../errors.js";
import type { Progress } from "../io.js";
import type { Packer } from "../packer/find.js";
import { runPreflight, type PreflightResult } from "../preflight/run.js";
import { packerOf, resolveCommand, type ParsedOptions } from "./resolve.js";

export interface PreflightReport {
  cloud: Cloud;
  /** "AWS us-east-1", "Azure westeurope", "GCP my-project us-central1-a". */
  where: string;
  skipped: readonly CheckName[];
  seconds: number;
  result: PreflightResult;
}

export async function preflightPipeline(raw: ParsedOptions, progress: Progress): Promise<PreflightReport> {
  // A missing Packer is a finding here, not the end: the cloud checks still run.
  let packer: Packer | { problem: string };
  try {
    packer = await packerOf(raw);
  } catch (e) {
    if (!(e instanceof EnvironmentError)) throw e;
    packer = { problem: e.message };
  }
  const c = await resolveCommand("preflight", raw, progress, "version" in packer ? packer.version : undefined);
  if (c.cloud === undefined || c.legacyTemplate) {
    throw new UsageError(
      `--json-file ${JSON.stringify(c.legacyTemplate?.path ?? "")}: preflight checks arv-image's own builds; a site's JSON template is run as it is. Give the cloud with --cloud aws|azure|gcp (and its flags) to check them, e.g. --cloud aws.`,
    );
  }
  const o = c.options;
  const where = c.cloud === "aws" ? `AWS ${o.awsRegion}` : c.cloud === "azure" ? `Azure ${o.azureLocation}` : `GCP ${o.gcpProjectId ?? ""} ${o.gcpZone}`;
  const started = Date.now();
  const { skipCheck, preflightTimeout } = c.command;
  const result = await runPreflight({ ...c, cloud: c.cloud }, { packer, env: process.env, skipped: skipCheck, timeoutMs: preflightTimeout * 1000 });
  return { cloud: c.cloud, where, skipped: skipCheck, seconds: (Date.now() - started) / 1000, result };
}
