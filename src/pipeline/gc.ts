/**
 * gc: finds what interrupted or failed builds left behind in the account (every resource a
 * build creates is tagged arv-image-build-id, with an arv-image-expires time until the
 * build has finished) and deletes it, recording what it did.
 */
import { cloudContext } from "../clouds/context.js";
import type { SweepAction } from "../clouds/sweep-rule.js";
import { EnvironmentError, UsageError } from "../errors.js";
import type { Progress } from "../io.js";
import { resolveCommand, type ParsedOptions } from "./resolve.js";
import { InterruptedError } from "../interrupt.js";

export interface GcResult {
  cloud: "aws" | "azure";
  dryRun: boolean;
  /** AWS: --aws-region, and --aws-ami-regions where images were swept too. */
  region?: string;
  amiRegions?: readonly string[];
  actions: SweepAction[];
}

export async function gcPipeline(raw: ParsedOptions, progress: Progress): Promise<GcResult> {
  // gc builds no image: no cluster id or key, and the cloud defaults to AWS.
  const c = await resolveCommand("gc", raw, progress, "1.6.6");
  const cloud = c.cloud ?? "aws";
  if (cloud === "gcp") {
    throw new UsageError(
      `--cloud gcp: arv-image gc sweeps AWS accounts and Azure subscriptions; a googlecompute build's instance and disk carry the label arv-image-build-id (gcloud compute instances list --filter=labels.arv-image-build-id:*). Use --cloud aws or --cloud azure.`,
    );
  }
  const o = c.options;
  const { dryRun, olderThan, buildId } = c.command;
  const ctx = cloudContext(c);
  try {
    const result =
      cloud === "aws"
        ? await (await import("../clouds/aws-gc.js")).sweepAws(ctx, { olderThanMs: olderThan, dryRun, buildId })
        : await (await import("../clouds/azure-gc.js")).sweepAzure(ctx, { olderThanMs: olderThan, dryRun, buildId });
    return { cloud, dryRun, ...(cloud === "aws" ? { region: o.awsRegion, ...(o.awsAmiRegions ? { amiRegions: o.awsAmiRegions } : {}) } : {}), actions: result.actions };
  } catch (e) {
    if (e instanceof InterruptedError || (e instanceof Error && e.cause instanceof InterruptedError))
      throw new InterruptedError(e instanceof InterruptedError ? e.signal : (e.cause as InterruptedError).signal, "the listing of what to sweep", "nothing was changed");
    // Listing failed (credentials, network): nothing was changed. For credentials, say what
    // to do: give some (none were found), or check the ones given (they were refused).
    const { credentialsAdvice } = await import("../clouds/aws.js");
    const advice = cloud === "aws" ? credentialsAdvice((e as Error).cause) : undefined;
    const how = advice !== undefined ? ` ${advice}` : "";
    throw new EnvironmentError(`${(e as Error).message}${how}`);
  }
}
