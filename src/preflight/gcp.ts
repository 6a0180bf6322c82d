/**
 * GCP preflight: the account file Packer's googlecompute builder will use is a
 * service-account key for the project being built in. (No call to Google is made: the
 * product has no GCP SDK, and the key's shape is what fails builds in practice.)
 */
import { LIMITS, readUserFile } from "../config/read-file.js";
import type { CheckContext, CheckOutput, Finding } from "./types.js";

// Async like the other clouds' checks, though it reads only a local file.
// eslint-disable-next-line @typescript-eslint/require-await
export async function gcpChecks(ctx: CheckContext): Promise<CheckOutput> {
  const findings: Finding[] = [];
  const o = ctx.config.options;
  const file = o.gcpAccountFile;
  if (file === undefined || ctx.skipped.has("gcp.account-file")) return { findings, inferred: {} };
  const bad = (m: string) => findings.push({ severity: "error", check: "gcp.account-file", message: `--gcp-account-file ${JSON.stringify(file)}: ${m}` });
  let key: Record<string, unknown>;
  try {
    const read = readUserFile(file, LIMITS.small);
    if (!read.ok) throw new Error(read.problem);
    key = parseKeyFile(read.data.toString("utf8"));
    if (typeof key !== "object" || key === null || Array.isArray(key)) throw new Error("not a JSON object");
  } catch (e) {
    bad(`is not a JSON key file (${(e as Error).message}); expected the JSON key of a service account (IAM → Service accounts → Keys → Add key → JSON).`);
    return { findings, inferred: {} };
  }
  if (key.type !== "service_account") {
    bad(
      `is a ${JSON.stringify(key.type ?? "untyped")} credential, not a service-account key; Packer's googlecompute builder needs "type": "service_account". Create a JSON key for a service account with the Compute Instance Admin and Service Account User roles.`,
    );
  } else if (typeof key.private_key !== "string" || !key.private_key.includes("PRIVATE KEY") || typeof key.client_email !== "string") {
    bad(`lacks private_key or client_email; download the service account's JSON key again.`);
  } else if (o.gcpProjectId !== undefined && key.project_id !== o.gcpProjectId) {
    bad(
      `belongs to project ${JSON.stringify(key.project_id)}, not --gcp-project-id ${o.gcpProjectId}. Use a key of a service account in ${o.gcpProjectId}, or grant this one (${key.client_email}) roles there and accept the warning with --skip-check gcp.account-file.`,
    );
  } else {
    findings.push({ severity: "info", check: "gcp.account-file", message: `service account ${key.client_email} of project ${key.project_id as string}` });
  }
  return { findings, inferred: {} };
}

/**
 * The key file as JSON. Node's syntax error quotes the text around the mistake, which here is
 * the private key: the message keeps only where it is.
 */
function parseKeyFile(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    const at = /at position (\d+)/.exec(e instanceof Error ? e.message : "");
    // No cause attached, on purpose: its message quotes the key.
    // eslint-disable-next-line preserve-caught-error
    if (!at) throw new Error("not valid JSON");
    const before = text.slice(0, Number(at[1])).split("\n");
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`not valid JSON at line ${before.length}, column ${(before.at(-1) ?? "").length + 1}`);
  }
}
