/** `arv-image urls`: every address a build with these flags contacts, for firewall allow-lists. */
import type { Io } from "../io.js";
import { listUrls } from "../pipeline/urls.js";
import { URLS_SCHEMA } from "../json-schemas.js";

export async function runUrls(raw: Record<string, unknown>, io: Io): Promise<void> {
  // The output format is part of parsing: decided before anything runs (a failure too
  // is printed in it); everything else comes from the resolved configuration.
  const json = raw.json === true;
  const { cloud, urls } = await listUrls(raw, io);
  if (json) {
    io.stdout(JSON.stringify({ schema: URLS_SCHEMA, cloud, urls }, null, 2) + "\n");
    return;
  }
  for (const from of ["this machine", "builder VM"] as const) {
    const list = urls.filter((u) => u.from === from);
    io.stdout(`${from === "this machine" ? "From this machine (arv-image, Packer)" : "From the builder VM (provisioning scripts)"}:\n`);
    const width = Math.max(...list.map((u) => u.url.length));
    for (const u of list) io.stdout(`  ${u.url.padEnd(width)}  ${u.purpose}\n`);
  }
}
