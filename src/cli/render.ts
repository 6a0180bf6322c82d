/** `arv-image render`: the build directory for these flags; its path on stdout. */
import type { Io } from "../io.js";
import { renderPipeline } from "../pipeline/render.js";

export async function runRender(raw: Record<string, unknown>, io: Io): Promise<void> {
  const r = await renderPipeline(raw, io);
  io.stderr(`arv-image: rendered ${r.files} files for ${r.cloud} (Packer ${r.packerVersion}, ${r.packerSource}) into ${r.dir}\n`);
  for (const o of r.omitted) io.stderr(`arv-image: left out for Packer ${r.packerVersion}: ${o}\n`);
  io.stdout(`${r.dir}\n`);
}
