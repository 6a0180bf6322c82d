/**
 * `arv-image gc`: finds what interrupted or failed builds left behind in the account (every
 * resource a build creates is tagged arv-image-build-id, with an arv-image-expires time
 * until the build has finished) and deletes it, saying what it did.
 */
import { EnvironmentError, PreflightError, UsageError } from "../errors.js";
import type { Io } from "../main.js";
import { cloudContext } from "../preflight/types.js";
import { resolveCommand } from "./resolve.js";

export const GC_SCHEMA = "arv-image.gc/v1";

export async function runGc(raw: Record<string, unknown>, io: Io): Promise<void> {
  // gc builds no image: no cluster id or key, and the cloud defaults to AWS.
  const c = await resolveCommand("gc", raw, io, "1.6.6");
  const cloud = c.cloud ?? "aws";
  if (cloud === "gcp") {
    throw new UsageError(`--cloud gcp: arv-image gc sweeps AWS accounts and Azure subscriptions; a googlecompute build's instance and disk carry the label arv-image-build-id (gcloud compute instances list --filter=labels.arv-image-build-id:*). Use --cloud aws or --cloud azure.`);
  }
  const o = c.options;
  const { dryRun, json, olderThan } = c.command;
  const ctx = cloudContext(c);
  const where = cloud === "aws" ? o.awsRegion : "the subscription";
  let result;
  try {
    result =
      cloud === "aws"
        ? await (await import("../clouds/aws-gc.js")).sweepAws(ctx, { olderThanMs: olderThan, dryRun })
        : await (await import("../clouds/azure-gc.js")).sweepAzure(ctx, { olderThanMs: olderThan, dryRun });
  } catch (e) {
    // Listing failed (credentials, network): nothing was changed.
    throw new EnvironmentError((e as Error).message);
  }
  const failed = result.actions.filter((a) => a.error !== undefined);
  if (json) {
    io.stdout(JSON.stringify({ schema: GC_SCHEMA, ok: failed.length === 0, cloud, dryRun, ...(cloud === "aws" ? { region: o.awsRegion } : {}), actions: result.actions }, null, 2) + "\n");
  } else if (result.actions.length === 0) {
    io.stdout(`nothing to sweep in ${where}${cloud === "aws" && o.awsAmiRegions ? ` (and ${o.awsAmiRegions.join(", ")})` : ""}: no tagged leftovers of unfinished builds\n`);
  } else {
    for (const a of result.actions) {
      const state = dryRun ? "would" : a.error !== undefined ? "FAILED" : "done ";
      io.stdout(`${state}  ${a.what}${a.error !== undefined ? `: ${a.error}` : ""}\n`);
    }
  }
  if (failed.length > 0) throw new PreflightError(`gc could not remove ${failed.length} of ${result.actions.length} leftovers (listed above); run it again, or remove them by hand.`);
}
