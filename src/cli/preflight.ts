/** `arv-image preflight`: the checks `build` runs first, on their own, with a report. */
import { EnvironmentError, PreflightError, UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { formatFindings, runPreflight } from "../preflight/run.js";
import { findPacker, preflightFailure, preflightJson } from "./build.js";
import { resolveOrFail } from "./resolve.js";

export const PREFLIGHT_SCHEMA = "arv-image.preflight/v1";

export async function runPreflightCommand(raw: Record<string, unknown>, io: Io): Promise<void> {
  // A missing Packer is a finding here, not the end: the cloud checks still run.
  let packer: Awaited<ReturnType<typeof findPacker>> | { problem: string };
  try {
    packer = await findPacker(raw);
  } catch (e) {
    if (!(e instanceof EnvironmentError)) throw e;
    packer = { problem: e.message };
  }
  const c = await resolveOrFail(raw, io, "version" in packer ? packer.version : undefined);
  if (c.cloud === undefined || c.legacyTemplate) {
    throw new UsageError(
      `--json-file ${JSON.stringify(c.legacyTemplate?.path ?? "")}: preflight checks arv-image's own builds; a site's JSON template is run as it is. Give the cloud with --cloud aws|azure|gcp (and its flags) to check them, e.g. --cloud aws.`,
    );
  }
  const o = c.options;
  const where = c.cloud === "aws" ? `AWS ${o.awsRegion}` : c.cloud === "azure" ? `Azure ${o.azureLocation}` : `GCP ${o.gcpProjectId ?? ""} ${o.gcpZone}`;
  const started = Date.now();
  const pre = await runPreflight({ ...c, cloud: c.cloud }, { packer, env: process.env, skipped: o.skipCheck, timeoutMs: o.preflightTimeout * 1000 });
  const seconds = (Date.now() - started) / 1000;
  if (o.json) {
    io.stdout(JSON.stringify({ schema: PREFLIGHT_SCHEMA, ok: pre.errors === 0, cloud: c.cloud, elapsedSeconds: Math.round(seconds * 10) / 10, ...preflightJson(pre) }, null, 2) + "\n");
  } else {
    const skipped = o.skipCheck.length > 0 ? ` (left out: ${o.skipCheck.join(", ")})` : "";
    io.stdout(`preflight for ${where}${skipped}:\n${formatFindings(pre.findings)}`);
    io.stdout(
      pre.errors === 0
        ? `${pre.warnings === 0 ? "all checks passed" : `passed with ${pre.warnings} warning${pre.warnings === 1 ? "" : "s"}`} in ${seconds.toFixed(1)} s\n`
        : `${pre.errors} error${pre.errors === 1 ? "" : "s"}${pre.warnings ? `, ${pre.warnings} warning${pre.warnings === 1 ? "" : "s"}` : ""} in ${seconds.toFixed(1)} s\n`,
    );
  }
  if (pre.errors > 0) throw new PreflightError(preflightFailure(pre, "preflight"));
}
