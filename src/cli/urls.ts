/** `arv-image urls`: every address a build with these flags contacts, for firewall allow-lists. */
import { UsageError } from "../errors.js";
import type { Io } from "../main.js";
import { buildUrls } from "../render/urls.js";
import { resolveCommand } from "./resolve.js";

export const URLS_SCHEMA = "arv-image.urls/v1";

export async function runUrls(raw: Record<string, unknown>, io: Io): Promise<void> {
  const c = await resolveCommand("urls", raw, io);
  if (c.cloud === undefined || c.legacyTemplate) {
    throw new UsageError(`--json-file ${JSON.stringify(c.legacyTemplate?.path ?? "")}: urls lists what arv-image's own builds contact; a site's JSON template is its own. Give the cloud with --cloud aws|azure|gcp, e.g. --cloud aws.`);
  }
  const urls = buildUrls(c, c.cloud);
  if (c.command.json) {
    io.stdout(JSON.stringify({ schema: URLS_SCHEMA, cloud: c.cloud, urls }, null, 2) + "\n");
    return;
  }
  for (const from of ["this machine", "builder VM"] as const) {
    const list = urls.filter((u) => u.from === from);
    io.stdout(`${from === "this machine" ? "From this machine (arv-image, Packer)" : "From the builder VM (provisioning scripts)"}:\n`);
    const width = Math.max(...list.map((u) => u.url.length));
    for (const u of list) io.stdout(`  ${u.url.padEnd(width)}  ${u.purpose}\n`);
  }
}
