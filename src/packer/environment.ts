/**
 * What Packer's environment may hold, and scrubbing secrets from its output. Kept apart
 * from run.ts so the start-up path (`packer version` for render) does not load execa.
 */

/** Environment variables Packer may take from the caller: cloud credential chains, proxies, CAs, Packer's own. */
const PASS_THROUGH = [
  /^(PATH|HOME|USER|LOGNAME|LANG|TZ|TMPDIR|TERM)$/,
  /^LC_[A-Z]+$/,
  /^AWS_[A-Z0-9_]+$/,
  /^ARM_[A-Z0-9_]+$/,
  /^AZURE_[A-Z0-9_]+$/,
  /^(GOOGLE_APPLICATION_CREDENTIALS|GOOGLE_CLOUD_KEYFILE_JSON|GCE_[A-Z_]+|CLOUDSDK_[A-Z_]+)$/,
  /^PACKER_(PLUGIN_PATH|CACHE_DIR|CONFIG_DIR|GITHUB_API_TOKEN)$/,
  // The templates' connection hooks (tests point a real build at a loopback SSH target).
  /^PKR_VAR_(ssh_host|ssh_port|ssh_timeout)$/,
  /^(HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy)$/,
  /^(SSL_CERT_FILE|SSL_CERT_DIR|SSH_AUTH_SOCK)$/,
];

/**
 * Packer's environment: the allow-listed part of the caller's, then the secrets files'
 * exports (which win), then arv-image's own settings. build.sh's stray variables
 * (RESOLVER, REPOSUFFIX, EXTRA, …) never get through.
 */
export function packerEnvironment(
  caller: NodeJS.ProcessEnv,
  secrets: readonly Readonly<Record<string, string>>[],
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(caller)) {
    if (v !== undefined && PASS_THROUGH.some((re) => re.test(k))) env[k] = v;
  }
  for (const s of secrets) Object.assign(env, s);
  return { ...env, CHECKPOINT_DISABLE: "1", ...extra };
}

/** A scrubber: the text with every secret replaced, and each secret's UTF-8 bytes (to look for in raw output). */
export type Scrubber = ((text: string) => string) & { readonly secretBytes: readonly Buffer[] };

/** Replaces every secret value in a line of text before it is shown or logged. */
export function makeScrubber(secretValues: readonly string[]): Scrubber {
  const values = [...new Set(secretValues.filter((v) => v.length >= 4))].sort((a, b) => b.length - a.length);
  const scrub =
    values.length === 0
      ? (t: string) => t
      : (t: string) => {
          let out = t;
          for (const v of values) if (out.includes(v)) out = out.replaceAll(v, "<redacted>");
          return out;
        };
  return Object.assign(scrub, { secretBytes: values.map((v) => Buffer.from(v, "utf8")) });
}
