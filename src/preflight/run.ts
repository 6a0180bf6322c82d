/**
 * Preflight: every check that can fail a paid build late, run before it. Local checks,
 * then the cloud's, concurrently where they do not depend on each other; every cloud call
 * has a time limit. Returns findings (never throws for what it finds) and what the build
 * should use from what was found (the chosen AMI, the SSH user).
 */
import { createHash } from "node:crypto";
import type { Cloud } from "../config/flags.js";
import { CHECK_NAMES, type CheckName } from "../config/preflight-checks.js";
import type { ResolvedConfig } from "../config/resolved.js";
import { forTerminal } from "../config/messages.js";
import { cloudContext } from "../clouds/context.js";
import type { CheckContext, CheckOutput, Finding, Inferred } from "./types.js";
import { throwIfInterrupted } from "../interrupt.js";

export interface PackerProbe {
  /** The Packer found and its version, or why none can be used. */
  packer: { bin: string; version: string } | { problem: string };
}

export interface PreflightResult {
  findings: Finding[];
  inferred: Inferred;
  /** Errors among the findings. */
  errors: number;
  warnings: number;
}

export async function runPreflight(
  config: ResolvedConfig & { cloud: Cloud },
  opts: PackerProbe & { env: NodeJS.ProcessEnv; skipped: readonly CheckName[]; timeoutMs: number },
): Promise<PreflightResult> {
  const ctx: CheckContext = { ...cloudContext(config, { env: opts.env, timeoutMs: opts.timeoutMs }), skipped: new Set(opts.skipped) };
  const skipped = ctx.skipped;
  const findings: Finding[] = [];
  if (!skipped.has("local.packer")) {
    findings.push(
      "problem" in opts.packer
        ? { severity: "error", check: "local.packer", message: opts.packer.problem }
        : { severity: "info", check: "local.packer", message: `Packer ${opts.packer.version} (${opts.packer.bin === "packer" ? "packer on the PATH" : opts.packer.bin})` },
    );
  }
  if (!skipped.has("local.public-key")) {
    const keys = config.publicKeys;
    findings.push({
      severity: "info",
      check: "local.public-key",
      message: `${keys.length} dispatcher key${keys.length === 1 ? "" : "s"} for ${config.options.loginUser}: ${keys.map((k) => `${k.type} ${fingerprint(k.blob)}${k.comment ? ` ${k.comment}` : ""}`).join(", ")}`,
    });
  }
  const cloud = await cloudChecks(config.cloud, ctx);
  // A call an interrupt abandoned is no finding (each cloud's checks describe it as a failed
  // call): the run ends as interrupted, for every cloud and every check alike.
  throwIfInterrupted("preflight");
  findings.push(...cloud.findings);
  // Concurrent checks finish in any order; report them in the order of the check list.
  const order = (f: Finding) => CHECK_NAMES.indexOf(f.check);
  findings.sort((a, b) => order(a) - order(b));
  return {
    findings,
    inferred: cloud.inferred,
    errors: findings.filter((f) => f.severity === "error").length,
    warnings: findings.filter((f) => f.severity === "warning").length,
  };
}

async function cloudChecks(cloud: Cloud, ctx: CheckContext): Promise<CheckOutput> {
  switch (cloud) {
    case "aws":
      return (await import("./aws.js")).awsChecks(ctx);
    case "azure":
      return (await import("./azure.js")).azureChecks(ctx);
    case "gcp":
      return (await import("./gcp.js")).gcpChecks(ctx);
  }
}

/** As `ssh-keygen -l` prints it, so the operator can compare with the dispatcher's key. */
function fingerprint(blob: string): string {
  return `SHA256:${createHash("sha256").update(Buffer.from(blob, "base64")).digest("base64").replace(/=+$/, "")}`;
}

/** Findings for a person: one line each, errors first in the order found. */
export function formatFindings(findings: readonly Finding[]): string {
  const mark = { error: "error  ", warning: "warning", info: "ok     " } as const;
  return findings.map((f) => `  ${mark[f.severity]} ${f.check.padEnd(20)} ${forTerminal(f.message).replace(/\n/g, "\\n")}\n`).join("");
}
