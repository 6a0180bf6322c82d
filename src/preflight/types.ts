import type { CheckName } from "../config/preflight-checks.js";
import type { CloudContext } from "../clouds/context.js";

export type Severity = "error" | "warning" | "info";

/** One result of one check. `message` says what was found and, for errors and warnings, how to fix it. */
export interface Finding {
  severity: Severity;
  check: CheckName;
  message: string;
}

/** What preflight learned that the build should use (so what was checked is what gets built). */
export interface Inferred {
  awsSourceAmi?: { id: string; name: string };
  sshUser?: string;
  awsRootDevice?: string;
}

/** A cloud context, and the checks left out. */
export interface CheckContext extends CloudContext {
  skipped: ReadonlySet<CheckName>;
}

export interface CheckOutput {
  findings: Finding[];
  inferred: Inferred;
}
