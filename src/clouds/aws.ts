/**
 * The EC2 client arv-image's AWS calls share (preflight, untagging the new AMIs, gc).
 * Credentials come, in this order, from the AWS secrets file's exports, --aws-profile (the
 * shared config and credentials files), or the SDK's default chain (environment, SSO,
 * IMDS…). The standard endpoint overrides AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL are
 * honoured by the SDK itself.
 */
import { interrupted } from "../interrupt.js";
import type { CloudContext } from "./context.js";
import { EXPIRES_TAG } from "./tags.js";
import { CallTimeout, withTimeout } from "./timeout.js";

type Ec2 = typeof import("./ec2-sdk.js");
type Image = import("@aws-sdk/client-ec2").Image;

/** The EC2 SDK, loaded on first use (only the AWS commands need it). */
export async function loadEc2(): Promise<Ec2> {
  // The SDK warns on Node < 22 that future versions will need Node 22; arv-image pins a
  // version that runs on 20, so the notice would be noise on the user's terminal.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  // Bundled down to the commands arv-image sends (see ec2-sdk.ts): about 30 ms and 10 MB,
  // where the package's CommonJS build costs 0.15-0.4 s and 70 MB.
  return import("./ec2-sdk.js");
}

/**
 * An EC2 client for `region` with the build's credentials: the AWS secrets file's exports,
 * else --aws-profile, else the SDK's default chain. Every request has the time limit.
 */
export function ec2Client(sdk: Ec2, ctx: CloudContext, region: string, extra: { endpoint?: string; maxAttempts?: number } = {}): import("@aws-sdk/client-ec2").EC2Client {
  const s = ctx.secrets;
  const ms = ctx.timeoutMs;
  return new sdk.EC2Client({
    region,
    ...(extra.endpoint ? { endpoint: extra.endpoint } : {}),
    ...(s.AWS_ACCESS_KEY_ID && s.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: s.AWS_ACCESS_KEY_ID, secretAccessKey: s.AWS_SECRET_ACCESS_KEY, ...(s.AWS_SESSION_TOKEN ? { sessionToken: s.AWS_SESSION_TOKEN } : {}) } }
      : ctx.config.options.awsProfile !== undefined
        ? { profile: ctx.config.options.awsProfile }
        : {}),
    maxAttempts: extra.maxAttempts ?? 2,
    requestHandler: { requestTimeout: ms, connectionTimeout: ms, throwOnRequestTimeout: true },
  });
}

/** How to give AWS credentials, said wherever none were found (preflight, gc). */
export const AWS_CREDENTIALS_HOW =
  "Give --aws-profile NAME (a profile in ~/.aws/credentials or ~/.aws/config), or --aws-secrets-file FILE exporting AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or set those two in the environment.";

/** What to do about a call that failed for want of usable credentials: give some, or check the ones given; undefined for any other failure. */
export function credentialsAdvice(e: unknown): string | undefined {
  const name = (e as { name?: string } | undefined)?.name ?? "";
  const msg = (e as { message?: string } | undefined)?.message ?? "";
  if (name === "CredentialsProviderError" || /Could not load credentials|profile .* could not be found/i.test(msg)) return AWS_CREDENTIALS_HOW;
  if (isCredentialsProblem(e)) return "The credentials were refused: check the access key and secret (or renew the session token), and that the key is active in IAM.";
  return undefined;
}

/** Whether a failed call failed for want of usable credentials (none found, or refused). */
export function isCredentialsProblem(e: unknown): boolean {
  const name = (e as { name?: string } | undefined)?.name ?? "";
  const msg = (e as { message?: string } | undefined)?.message ?? "";
  return (
    name === "CredentialsProviderError" ||
    /Could not load credentials|profile .* could not be found/i.test(msg) ||
    ["AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "ExpiredToken", "RequestExpired", "InvalidToken"].includes(name)
  );
}

/** A failed call explained for a person: what went wrong and what to do. */
export function describeAwsError(err: unknown, where: string, ms: number): string {
  if (err instanceof CallTimeout)
    return `${where} did not answer within ${ms / 1000} s: check the network, proxy (HTTPS_PROXY) or endpoint, or allow more time with --preflight-timeout.`;
  const name = (err as { name?: string }).name ?? "Error";
  const msg = (err as { message?: string }).message ?? String(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === "UnauthorizedOperation" || name === "AccessDenied" || name === "AccessDeniedException")
    return `${where} refused the call (${name}): the credentials lack an EC2 permission Packer also needs (ec2:Describe*). Grant it in IAM. (${msg})`;
  const code = (err as { code?: string }).code;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ECONNRESET" || name === "TimeoutError")
    return `cannot reach ${where}: ${code ?? name} (${msg}). Check the network, proxy or endpoint.`;
  return `${where} answered ${name}${status ? ` (HTTP ${status})` : ""}: ${msg}`;
}

/**
 * After a successful bake: the AMIs and their snapshots are the product, not leftovers.
 * Removes their `arv-image-expires` tag so `arv-image gc` never considers them. Returns
 * warnings (a failure here leaves a good image that gc would sweep after it expires), and
 * after an interrupt what was left undone, with the command that does it by hand.
 */
export async function keepImages(ctx: CloudContext, images: readonly { region?: string; id: string }[]): Promise<{ warnings: string[]; undone: string[] }> {
  const warnings: string[] = [];
  const undone: string[] = [];
  const undo = (id: string, region: string) =>
    `removing the ${EXPIRES_TAG} tag from ${id} in ${region} (and its snapshots); without it arv-image gc treats the image as a leftover once it expires: aws ec2 delete-tags --region ${region} --resources ${id} --tags Key=${EXPIRES_TAG}`;
  if (interrupted() !== undefined) return { warnings, undone: images.map((i) => undo(i.id, i.region ?? ctx.config.options.awsRegion)) };
  const sdk = await loadEc2();
  const o = ctx.config.options;
  for (const image of images) {
    const region = image.region ?? o.awsRegion;
    const client = ec2Client(sdk, ctx, region, { maxAttempts: 3 });
    try {
      const send = <T>(what: string, command: object) => withTimeout(what, ctx.timeoutMs, (abortSignal) => client.send(command as never, { abortSignal }) as Promise<T>);
      const r = await send<{ Images?: Image[] }>("DescribeImages", new sdk.DescribeImagesCommand({ ImageIds: [image.id] }));
      const snapshots = (r.Images?.[0]?.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId).filter((x): x is string => typeof x === "string");
      await send("DeleteTags", new sdk.DeleteTagsCommand({ Resources: [image.id, ...snapshots], Tags: [{ Key: EXPIRES_TAG }] }));
    } catch (e) {
      if (interrupted() !== undefined) {
        undone.push(undo(image.id, region));
        continue;
      }
      warnings.push(
        `could not remove the ${EXPIRES_TAG} tag from ${image.id} in ${region} (${describeAwsError(e, `EC2 in ${region}`, ctx.timeoutMs)}); remove it by hand, or arv-image gc will treat the image as a leftover: aws ec2 delete-tags --region ${region} --resources ${image.id} --tags Key=${EXPIRES_TAG}`,
      );
    } finally {
      client.destroy();
    }
  }
  return { warnings, undone };
}
