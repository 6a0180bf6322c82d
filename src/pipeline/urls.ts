/** urls: every address a build with these flags contacts, for firewall allow-lists. */
import type { Cloud } from "../config/flags.js";
import { UsageError } from "../errors.js";
import type { Progress } from "../io.js";
import { buildUrls, type UrlUse } from "../render/urls.js";
import { resolveCommand, type ParsedOptions } from "./resolve.js";

export async function listUrls(raw: ParsedOptions, progress: Progress): Promise<{ cloud: Cloud; urls: UrlUse[] }> {
  const c = await resolveCommand("urls", raw, progress);
  if (c.cloud === undefined || c.legacyTemplate) {
    throw new UsageError(
      `--json-file ${JSON.stringify(c.legacyTemplate?.path ?? "")}: urls lists what arv-image's own builds contact; a site's JSON template is its own. Give the cloud with --cloud aws|azure|gcp, e.g. --cloud aws.`,
    );
  }
  return { cloud: c.cloud, urls: buildUrls(c, c.cloud) };
}
