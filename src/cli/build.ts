/**
 * `arv-image validate` and `arv-image build`: parse, run the pipeline (src/pipeline/), print
 * its result once: the image id (or the `--json` document) on stdout, the summary on stderr.
 */
import { emit } from "../events.js";
import { InterruptedError } from "../interrupt.js";
import type { Io } from "../io.js";
import { buildPipeline, type BuildResult, type BuildRun } from "../pipeline/build.js";
import { validatePipeline } from "../pipeline/validate.js";
import { preflightJson } from "../preflight/report.js";
import { formatElapsed } from "../time.js";
import { RESULT_SCHEMA } from "../json-schemas.js";

export async function runValidate(raw: Record<string, unknown>, io: Io): Promise<void> {
  const r = await validatePipeline(raw, io);
  io.stderr(`arv-image: packer validate passed for ${r.cloud} (Packer ${r.packer.version}).\n`);
}

/** With --json, every failure still leaves exactly one JSON document on stdout. */
export async function runBuild(raw: Record<string, unknown>, io: Io): Promise<void> {
  // The output format is part of parsing: decided before anything runs (a failure too
  // is printed in it); everything else comes from the resolved configuration.
  const json = raw.json === true;
  const r = await buildPipeline(raw, io);
  if (json) {
    const doc = buildDocument(r);
    if (doc) io.stdout(JSON.stringify({ ...doc, ...(r.preflight ? { preflight: preflightJson(r.preflight) } : {}) }, null, 2) + "\n");
  }
  if (io.events) {
    // --log-format json: the result as an event too (stdout keeps the image id or the --json document).
    const doc = buildDocument(r);
    if (doc && r.kind !== "failed") emit(io, "info", { type: "result", ...doc }, r.kind === "built" ? `built ${r.images.map((i) => i.id).join(", ")}` : r.kind);
    if (doc && r.kind === "failed") emit(io, "error", { type: "result", ...doc }, r.why ?? r.error.message);
    if (r.kind === "failed") throw r.error;
    if (r.kind === "built" && raw.json !== true) io.stdout(r.images.map((i) => (i.region ? `${i.region} ${i.id}` : i.id)).join("\n") + "\n");
    return;
  }
  switch (r.kind) {
    case "failed":
      throw r.error;
    case "legacy":
      return;
    case "debug":
      io.stderr(`\narv-image: packer build -debug finished in ${formatElapsed(r.elapsedSeconds)}; the image id is in Packer's output above.\n`);
      return;
    case "dry-run":
      io.stderr(`arv-image: packer validate passed; --dry-run stops here. The build would be:\n${r.plan.join("\n")}\n`);
      return;
    case "built":
      if (!json) io.stdout(r.images.map((i) => (i.region ? `${i.region} ${i.id}` : i.id)).join("\n") + "\n");
      io.stderr(
        `\narv-image: built ${r.images.length === 1 ? "image" : "images"} ${r.images.map((i) => i.id).join(", ")} in ${formatElapsed(r.run.elapsedSeconds)}\nlog: ${r.run.log}\nPaste into the cluster config (config.yml):\n\n${r.arvadosConfig}`,
      );
      // The image exists; an interrupt during the after-work still ends with 128+n, saying what is left to do.
      if (r.interrupted !== undefined) {
        const left = r.undone.length > 0 ? `; left undone:\n${r.undone.map((u) => `  - ${u}`).join("\n")}` : "; nothing was left undone";
        throw new InterruptedAfterBuild(r.interrupted, `interrupted (${r.interrupted}) after the image was built (the image id is above)${left}`);
      }
  }
}

/** The `--json` document of a result, but its preflight section; none when Packer had the terminal. */
function buildDocument(r: BuildResult): object | undefined {
  switch (r.kind) {
    case "legacy":
    case "debug":
      return undefined;
    case "dry-run":
      return { schema: RESULT_SCHEMA, ok: true, dryRun: true, cloud: r.cloud, buildDirectory: r.buildDirectory, imageName: r.imageName, plan: r.plan };
    case "built":
      return {
        ...runJson(r.run),
        ok: true,
        imageId: r.imageId,
        images: r.images,
        arvadosConfig: r.arvadosConfig,
        ...(r.iamPolicy ? { iamPolicy: r.iamPolicy } : {}),
        ...(r.interrupted !== undefined ? { interrupted: r.interrupted, undone: r.undone } : {}),
        error: null,
      };
    case "failed":
      return r.run
        ? {
            ...runJson(r.run),
            ok: false,
            images: r.images,
            error: r.why,
            ...(r.interrupted !== undefined ? { interrupted: r.interrupted, cleanupReported: r.cleanupReported ?? false } : {}),
          }
        : {
            schema: RESULT_SCHEMA,
            ok: false,
            images: [],
            error: r.error.message,
            exitCode: r.error.exitCode,
            ...(r.error instanceof InterruptedError ? { interrupted: r.error.signal } : {}),
          };
  }
}

function runJson(run: BuildRun): object {
  return {
    schema: RESULT_SCHEMA,
    cloud: run.cloud,
    buildId: run.buildId,
    buildDirectory: run.buildDirectory,
    log: run.log,
    elapsedSeconds: Math.round(run.elapsedSeconds * 10) / 10,
    packerSeconds: Math.round(run.packerSeconds * 1000) / 1000,
    packerExitCode: run.packerExitCode,
    timings: run.timings,
  };
}

/** An interrupt during the after-work: the exit code of the signal, with what was left undone. */
class InterruptedAfterBuild extends InterruptedError {
  constructor(signal: NodeJS.Signals, message: string) {
    super(signal);
    this.message = message;
  }
}
