/** A preflight result as the commands report it: the JSON section and the one-paragraph failure. */
import type { PreflightResult } from "./run.js";

/** The `preflight` section of `--json` documents (build's and preflight's). */
export function preflightJson(pre: PreflightResult): object {
  return { errors: pre.errors, warnings: pre.warnings, findings: pre.findings, chosen: pre.inferred };
}

/** One paragraph: how many errors, and the ways forward. */
export function preflightFailure(pre: PreflightResult, command: "build" | "preflight"): string {
  const e = `${pre.errors} error${pre.errors === 1 ? "" : "s"}`;
  const first = pre.findings.find((f) => f.severity === "error");
  return `preflight found ${e}${command === "build" ? "; nothing was built and nothing was created in the cloud" : ""}. Fix ${pre.errors === 1 ? "it" : "them"} (the message says how), or leave a check out with --skip-check ${first?.check ?? "NAME"}${command === "build" ? " (or all of them with --skip-preflight)" : ""}.`;
}
