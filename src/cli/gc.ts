/**
 * `arv-image gc`: sweeps what interrupted or failed builds left behind (src/pipeline/gc.ts)
 * and says what it did, or with --dry-run what it would do.
 */
import { PreflightError } from "../errors.js";
import type { Io } from "../io.js";
import { gcPipeline } from "../pipeline/gc.js";
import { GC_SCHEMA } from "../json-schemas.js";

export async function runGc(raw: Record<string, unknown>, io: Io): Promise<void> {
  // The output format is part of parsing: decided before anything runs (a failure too
  // is printed in it); everything else comes from the resolved configuration.
  const json = raw.json === true;
  const r = await gcPipeline(raw, io);
  const where = r.cloud === "aws" ? r.region : "the subscription";
  const failed = r.actions.filter((a) => a.error !== undefined);
  if (json) {
    io.stdout(
      JSON.stringify(
        { schema: GC_SCHEMA, ok: failed.length === 0, cloud: r.cloud, dryRun: r.dryRun, ...(r.cloud === "aws" ? { region: r.region } : {}), actions: r.actions },
        null,
        2,
      ) + "\n",
    );
  } else if (r.actions.length === 0) {
    io.stdout(`nothing to sweep in ${where}${r.amiRegions ? ` (and ${r.amiRegions.join(", ")})` : ""}: no tagged leftovers of unfinished builds\n`);
  } else {
    for (const a of r.actions) {
      const state = r.dryRun ? "would" : a.error !== undefined ? "FAILED" : "done ";
      io.stdout(`${state}  ${a.what}${a.error !== undefined ? `: ${a.error}` : ""}\n`);
    }
  }
  if (failed.length > 0) throw new PreflightError(`gc could not remove ${failed.length} of ${r.actions.length} leftovers (listed above); run it again, or remove them by hand.`);
}
