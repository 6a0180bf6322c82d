import type { ResolvedConfig } from "../config/resolved.js";
import type { CheckName } from "../config/preflight-checks.js";

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

export interface CheckContext {
  config: ResolvedConfig;
  /** The secrets files' exports merged, for credentials (never printed). */
  secrets: Record<string, string>;
  /** The caller's environment (endpoint overrides, credential chains). */
  env: NodeJS.ProcessEnv;
  /** Per-call time limit. */
  timeoutMs: number;
  skipped: ReadonlySet<CheckName>;
}

/** The context for cloud calls made for a resolved configuration: credentials from its secrets files. */
export function cloudContext(config: ResolvedConfig, opts: { env?: NodeJS.ProcessEnv; skipped?: readonly CheckName[] } = {}): CheckContext {
  return {
    config,
    secrets: Object.assign({}, ...config.secretsFiles.map((s) => s.env)) as Record<string, string>,
    env: opts.env ?? process.env,
    timeoutMs: config.options.preflightTimeout * 1000,
    skipped: new Set(opts.skipped ?? []),
  };
}

export interface CheckOutput {
  findings: Finding[];
  inferred: Inferred;
}

/** A cloud call that did not answer within the time limit. */
export class CallTimeout extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not answer within ${ms / 1000} s`);
  }
}

/**
 * Runs `call` with an AbortSignal that fires after `ms`, and gives up waiting at the same
 * moment even if the callee ignores the signal (MSAL's token request does).
 */
export async function withTimeout<T>(what: string, ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new CallTimeout(what, ms));
    }, ms);
  });
  try {
    return await Promise.race([call(ac.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
