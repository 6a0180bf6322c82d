/** `arv-image preflight`: the checks `build` runs first, on their own, with a report. */
import { PreflightError } from "../errors.js";
import type { Io } from "../io.js";
import { preflightPipeline } from "../pipeline/preflight.js";
import { preflightFailure, preflightJson } from "../preflight/report.js";
import { formatFindings } from "../preflight/run.js";
import { PREFLIGHT_SCHEMA } from "../json-schemas.js";

export async function runPreflightCommand(raw: Record<string, unknown>, io: Io): Promise<void> {
  // The output format is part of parsing: decided before anything runs (a failure too
  // is printed in it); everything else comes from the resolved configuration.
  const json = raw.json === true;
  const { cloud, where, skipped, seconds, result: pre } = await preflightPipeline(raw, io);
  if (json) {
    io.stdout(JSON.stringify({ schema: PREFLIGHT_SCHEMA, ok: pre.errors === 0, cloud, elapsedSeconds: Math.round(seconds * 10) / 10, ...preflightJson(pre) }, null, 2) + "\n");
  } else {
    const left = skipped.length > 0 ? ` (left out: ${skipped.join(", ")})` : "";
    io.stdout(`preflight for ${where}${left}:\n${formatFindings(pre.findings)}`);
    io.stdout(
      pre.errors === 0
        ? `${pre.warnings === 0 ? "all checks passed" : `passed with ${pre.warnings} warning${pre.warnings === 1 ? "" : "s"}`} in ${seconds.toFixed(1)} s\n`
        : `${pre.errors} error${pre.errors === 1 ? "" : "s"}${pre.warnings ? `, ${pre.warnings} warning${pre.warnings === 1 ? "" : "s"}` : ""} in ${seconds.toFixed(1)} s\n`,
    );
  }
  if (pre.errors > 0) throw new PreflightError(preflightFailure(pre, "preflight"));
}
