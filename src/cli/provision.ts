/**
 * `arv-image provision`: the provisioning of a bake, run on an existing machine over SSH
 * (src/pipeline/provision.ts) — to try a configuration on a throwaway VM before paying for
 * a bake. Prints the target (or the `--json` document) on stdout.
 */
import { emit } from "../events.js";
import type { Io } from "../io.js";
import { provisionPipeline } from "../pipeline/provision.js";
import { formatElapsed } from "../time.js";
import { PROVISION_SCHEMA } from "../json-schemas.js";

export async function runProvision(raw: Record<string, unknown>, io: Io): Promise<void> {
  // The output format is part of parsing: decided before anything runs (a failure too
  // is printed in it); everything else comes from the resolved configuration.
  const json = raw.json === true;
  const r = await provisionPipeline(raw, io);
  const run = r.run;
  if (json) {
    const base = {
      schema: PROVISION_SCHEMA,
      target: run.target,
      buildDirectory: run.buildDirectory,
      log: run.log,
      elapsedSeconds: Math.round(run.elapsedSeconds * 10) / 10,
      packerSeconds: Math.round(run.packerSeconds * 1000) / 1000,
      packerExitCode: run.packerExitCode,
      timings: run.timings,
    };
    io.stdout(JSON.stringify(r.ok ? { ...base, ok: true, error: null } : { ...base, ok: false, error: r.why }, null, 2) + "\n");
  }
  if (io.events)
    emit(
      io,
      r.ok ? "info" : "error",
      { type: "result", ok: r.ok, target: run.target, log: run.log, packerExitCode: run.packerExitCode, timings: run.timings },
      r.ok ? `provisioned ${run.target}` : r.why,
    );
  if (!r.ok) throw r.error;
  if (!json) io.stdout(`${run.target}\n`);
  if (!io.events) io.stderr(`\narv-image: provisioned ${run.target} in ${formatElapsed(run.elapsedSeconds)}; the dispatcher-contract check passed.\nlog: ${run.log}\n`);
}
