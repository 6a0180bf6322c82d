import { InternalError, UsageError } from "../errors.js";
import type { Io } from "../main.js";
import { renderBuildDir } from "../render/build-dir.js";
import { writeBuildDir } from "../render/write.js";
import { resolveCommand } from "./resolve.js";

export async function runRender(raw: Record<string, unknown>, io: Io): Promise<void> {
  // Resolution checks --out too (required for render, new or empty, its parent there).
  const config = await resolveCommand("render", raw, io);
  const out = config.command.out;
  if (out === undefined) throw new InternalError("render resolved without --out");
  if (config.cloud === undefined || config.legacyTemplate) {
    throw new UsageError(
      `--json-file ${JSON.stringify(config.legacyTemplate?.path ?? "")}: a site's own JSON template is run as it is by \`arv-image build\` (legacy pass-through); render only writes arv-image's HCL2. To render, replace --json-file with --cloud aws|azure|gcp, e.g. --cloud aws.`,
    );
  }
  const result = renderBuildDir(config, config.cloud);
  const dir = await writeBuildDir(out, result.files);
  io.stderr(`arv-image: rendered ${result.files.length} files for ${config.cloud} (Packer ${result.packer.version}, ${config.packer.source}) into ${dir}\n`);
  for (const o of result.omitted) io.stderr(`arv-image: left out for Packer ${result.packer.version}: ${o}\n`);
  io.stdout(`${dir}\n`);
}
