import type { ResolvedConfig } from "../config/resolve.js";

/** What a cloud call needs: the configuration, credentials, the caller's environment, a time limit. */
export interface CloudContext {
  config: ResolvedConfig;
  /** The secrets files' exports merged, for credentials (never printed). */
  secrets: Record<string, string>;
  /** The caller's environment (endpoint overrides, credential chains). */
  env: NodeJS.ProcessEnv;
  /** Per-call time limit. */
  timeoutMs: number;
}

/** The context for cloud calls made for a resolved configuration: credentials from its secrets files. */
export function cloudContext(config: ResolvedConfig, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CloudContext {
  return {
    config,
    secrets: Object.assign({}, ...config.secretsFiles.map((s) => s.env)) as Record<string, string>,
    env: opts.env ?? process.env,
    timeoutMs: opts.timeoutMs ?? config.options.preflightTimeout * 1000,
  };
}
