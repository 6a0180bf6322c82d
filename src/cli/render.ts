import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { renderBuildDir } from "../render/build-dir.js";
import { checkOutDir, writeBuildDir } from "../render/write.js";
import { resolveOrFail } from "./resolve.js";

export async function runRender(raw: Record<string, unknown>, io: Io): Promise<void> {
  const problems: string[] = [];
  const out = raw.out as string | undefined;
  if (out === undefined) problems.push(`--out is required for render: the build directory to create, e.g. --out ./build-zzzzz.`);
  else {
    const p = await checkOutDir(out);
    if (p) problems.push(p);
  }
  let config;
  try {
    config = await resolveOrFail(raw, io);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError([...problems, ...e.problems]);
    throw e;
  }
  if (problems.length > 0) throw new UsageError(problems);
  if (config.cloud === undefined || config.legacyTemplate) {
    throw new UsageError(
      `--json-file ${JSON.stringify(config.legacyTemplate?.path ?? "")}: a site's own JSON template is run as it is by \`arv-image build\` (legacy pass-through); render only writes arv-image's HCL2. To render, replace --json-file with --cloud aws|azure|gcp, e.g. --cloud aws.`,
    );
  }
  const result = renderBuildDir(config, config.cloud);
  const dir = await writeBuildDir(out as string, result.files);
  io.stderr(`arv-image: rendered ${result.files.length} files for ${config.cloud} (Packer ${result.packer.version}, ${config.packer.source}) into ${dir}\n`);
  for (const o of result.omitted) io.stderr(`arv-image: left out for Packer ${result.packer.version}: ${o}\n`);
  io.stdout(`${dir}\n`);
}
