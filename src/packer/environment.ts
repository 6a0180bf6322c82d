/**
 * What Packer's environment may hold, and scrubbing secrets from its output. Kept apart
 * from run.ts so the start-up path (`packer version` for render) does not load execa.
 */

import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { scrubText, secretForms } from "../secrets.js";

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

/**
 * Replaces every secret value, in every form Packer or JSON may print it (src/secrets.ts:
 * as it is, with Packer's %!(PACKER_COMMA) and \n escapes, JSON-escaped, line by line), in
 * text before it is shown or logged.
 */
export function makeScrubber(secretValues: readonly string[]): Scrubber {
  const forms = secretForms(secretValues);
  const scrub = forms.length === 0 ? (t: string) => t : (t: string) => scrubText(forms, t);
  return Object.assign(scrub, { secretBytes: forms.map((v) => Buffer.from(v, "utf8")) });
}

/**
 * Packer's own debug log (--verbose: PACKER_LOG_PATH) is written by Packer, past the
 * scrubber: once Packer has exited it is scrubbed in place, line by line. If that fails
 * the file is removed rather than left holding a secret; undefined, or what happened.
 */
export async function scrubFileInPlace(path: string, scrub: Scrubber): Promise<string | undefined> {
  if (scrub.secretBytes.length === 0) return undefined;
  const tmp = `${path}.arv-image-scrub`;
  try {
    const input = createReadStream(path);
    const opened = new Promise<void>((resolve, reject) => {
      input.once("open", () => resolve());
      input.once("error", reject);
    });
    await opened;
    const out = createWriteStream(tmp, { mode: 0o600 });
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (!out.write(scrub(line) + "\n")) await once(out, "drain");
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    await rename(tmp, path);
    return undefined;
  } catch (e) {
    await rm(tmp, { force: true });
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined; // Packer wrote no debug log
    await rm(path, { force: true });
    return `removed Packer's debug log ${path}: it could not be scrubbed of secrets (${(e as Error).message})`;
  }
}
