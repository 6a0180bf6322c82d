/**
 * What is a secret, decided once per variable (SENSITIVITY), and every form in which a
 * secret may leave arv-image. Config's display, the scrubber of Packer's output (log, live
 * view, --json) and the process's own stdout/stderr all take their answer from here.
 *
 * Redacting too much is a bug too: a secrets file exporting AWS_DEFAULT_REGION=us-east-1
 * once turned every "us-east-1" of the result into <redacted> and broke the untagging.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

export type Sensitivity = "secret" | "public";

/** Variables a build may see, with whether their values are secret. */
export const SENSITIVITY: Readonly<Record<string, Sensitivity>> = {
  // AWS: the key id is redacted with its key (it names the credential in the account).
  AWS_ACCESS_KEY_ID: "secret",
  AWS_SECRET_ACCESS_KEY: "secret",
  AWS_SESSION_TOKEN: "secret",
  AWS_SECURITY_TOKEN: "secret",
  AWS_CONTAINER_AUTHORIZATION_TOKEN: "secret",
  AWS_BEARER_TOKEN_BEDROCK: "secret",
  AWS_DEFAULT_REGION: "public",
  AWS_REGION: "public",
  AWS_PROFILE: "public",
  AWS_DEFAULT_PROFILE: "public",
  AWS_CONFIG_FILE: "public",
  AWS_SHARED_CREDENTIALS_FILE: "public",
  AWS_CA_BUNDLE: "public",
  AWS_ENDPOINT_URL: "public",
  AWS_ENDPOINT_URL_EC2: "public",
  AWS_ENDPOINT_URL_STS: "public",
  AWS_ROLE_ARN: "public",
  AWS_ROLE_SESSION_NAME: "public",
  AWS_WEB_IDENTITY_TOKEN_FILE: "public",
  AWS_STS_REGIONAL_ENDPOINTS: "public",
  AWS_SDK_LOAD_CONFIG: "public",
  AWS_MAX_ATTEMPTS: "public",
  AWS_RETRY_MODE: "public",
  AWS_EC2_METADATA_DISABLED: "public",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "public",
  AWS_POLL_DELAY_SECONDS: "public",
  AWS_TIMEOUT_SECONDS: "public",
  // Azure: ids appear in every resource id (the image's too); only the credentials are secret.
  ARM_CLIENT_ID: "public",
  ARM_SUBSCRIPTION_ID: "public",
  ARM_TENANT_ID: "public",
  ARM_OBJECT_ID: "public",
  ARM_CLOUD: "public",
  ARM_ENVIRONMENT: "public",
  ARM_USE_MSI: "public",
  ARM_USE_OIDC: "public",
  ARM_CLIENT_CERT_PATH: "public",
  ARM_CLIENT_SECRET: "secret",
  ARM_CLIENT_CERT_PASSWORD: "secret",
  ARM_CLIENT_JWT: "secret",
  ARM_OIDC_TOKEN: "secret",
  ARM_OIDC_REQUEST_TOKEN: "secret",
  ARM_ACCESS_KEY: "secret",
  AZURE_CLIENT_ID: "public",
  AZURE_TENANT_ID: "public",
  AZURE_SUBSCRIPTION_ID: "public",
  AZURE_AUTHORITY_HOST: "public",
  AZURE_CLIENT_CERTIFICATE_PATH: "public",
  AZURE_FEDERATED_TOKEN_FILE: "public",
  AZURE_CLIENT_SECRET: "secret",
  AZURE_CLIENT_CERTIFICATE_PASSWORD: "secret",
  AZURE_PASSWORD: "secret",
  AZURE_USERNAME: "public",
  // Google: the path is not secret, the key in the file it names is (credentialFileSecrets).
  GOOGLE_APPLICATION_CREDENTIALS: "public",
  GOOGLE_CLOUD_KEYFILE_JSON: "secret",
  GOOGLE_OAUTH_ACCESS_TOKEN: "secret",
  CLOUDSDK_CORE_PROJECT: "public",
  CLOUDSDK_COMPUTE_ZONE: "public",
  CLOUDSDK_COMPUTE_REGION: "public",
  PACKER_GITHUB_API_TOKEN: "secret",
  // A proxy URL is public; a password in it is a secret (urlPassword).
  HTTPS_PROXY: "public",
  HTTP_PROXY: "public",
  https_proxy: "public",
  http_proxy: "public",
  NO_PROXY: "public",
  no_proxy: "public",
};

/** Names that say "secret" whatever the table knows. */
const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|PRIVATE|CREDENTIALS?_JSON|API_?KEY|ACCESS_KEY)/i;

/** Values no credential has, which would redact the words of the output (a JSON `true`). */
const TRIVIAL = /^(true|false|yes|no|on|off|null|[0-9]+)$/i;

/**
 * Whether a variable's value is a secret. A name the table does not know is a secret when
 * its name says so, or when a secrets file exports it (it is a file of secrets) with a
 * value that is not a mere switch or number.
 */
export function isSecret(name: string, from: "secrets file" | "environment", value?: string): boolean {
  const known = SENSITIVITY[name];
  if (known !== undefined) return known === "secret";
  if (SECRET_NAME.test(name)) return true;
  return from === "secrets file" && !(value !== undefined && TRIVIAL.test(value));
}

/** The password of a URL's user information (a proxy URL), if any. */
function urlPassword(value: string): string | undefined {
  try {
    const u = new URL(value);
    return u.password !== "" ? decodeURIComponent(u.password) : undefined;
  } catch {
    return undefined;
  }
}

/** The secret values among variables, as they are (their escaped forms come from secretForms). */
export function secretValuesOf(env: Readonly<Record<string, string | undefined>>, from: "secrets file" | "environment"): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || v === "") continue;
    if (isSecret(k, from, v)) out.push(v);
    else {
      const pw = urlPassword(v);
      if (pw !== undefined) out.push(pw);
    }
  }
  return out;
}

/** Fields of a Google credentials file (service account or authorized user) that are secret. */
const CREDENTIAL_FIELDS = ["private_key", "private_key_id", "client_secret", "refresh_token"];

/**
 * The secrets inside a credentials file (GOOGLE_APPLICATION_CREDENTIALS, --gcp-account-file):
 * Packer reads the file itself and a plugin may print what it read. Only a small regular
 * file is read (never a FIFO or a device); one that is not JSON gives nothing.
 */
export function credentialFileSecrets(path: string | undefined): string[] {
  if (path === undefined || path === "") return [];
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return [];
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 1 << 20) return [];
    const buf = Buffer.alloc(st.size);
    const n = readSync(fd, buf, 0, st.size, 0);
    const doc = JSON.parse(buf.subarray(0, n).toString("utf8")) as Record<string, unknown>;
    return CREDENTIAL_FIELDS.map((f) => doc[f]).filter((v): v is string => typeof v === "string" && v !== "");
  } catch {
    return [];
  } finally {
    closeSync(fd);
  }
}

/** Shorter values are not scrubbed: they would redact ordinary words. */
export const MIN_SECRET_LENGTH = 4;

/** How Packer's -machine-readable output escapes a value: commas, then CR and LF. */
export const packerEscape = (v: string): string => v.replaceAll(",", "%!(PACKER_COMMA)").replaceAll("\r", "\\r").replaceAll("\n", "\\n");

/** Inside a JSON string. */
const jsonEscape = (v: string): string => JSON.stringify(v).slice(1, -1);

/**
 * Every form in which a secret may be printed: as it is, as Packer's machine-readable output
 * escapes it, as JSON escapes either, and each line of a value of several lines on its own
 * (a line-based printer shows them apart). Longest first, so that a longer form is replaced
 * before a part of it.
 */
export function secretForms(values: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const v of values) {
    if (v.length < MIN_SECRET_LENGTH) continue;
    const escaped = packerEscape(v);
    for (const f of [v, escaped, jsonEscape(v), jsonEscape(escaped)]) forms.add(f);
    if (/[\r\n]/.test(v)) for (const line of v.split(/\r?\n|\r/)) if (line.trim().length >= MIN_SECRET_LENGTH) forms.add(line);
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

export const REDACTED = "<redacted>";

/** The text with every form of every secret replaced. */
export function scrubText(forms: readonly string[], text: string): string {
  let out = text;
  for (const f of forms) if (out.includes(f)) out = out.replaceAll(f, REDACTED);
  return out;
}

// The run's secrets, for the last line of defence: everything main.ts writes as text.
const registeredValues = new Set<string>();
let registered: string[] = [];

/** Adds secrets of this run: from now on they are scrubbed from all of arv-image's own output. */
export function registerSecrets(values: readonly string[]): void {
  for (const v of values) registeredValues.add(v);
  registered = secretForms([...registeredValues]);
}

/** Scrubs text with every secret registered so far. */
export const scrubRegistered = (text: string): string => (registered.length === 0 ? text : scrubText(registered, text));
