/**
 * build: find Packer → preflight → render → validate → `packer build` → results →
 * after-work (untag the AMIs, the cluster config, --emit-config). Progress goes to the
 * caller's sink while it runs; what happened comes back as a BuildResult for the CLI to
 * print once. Expected failures (arv-image's own errors) come back too, with what was
 * known by then (preflight's findings, Packer's run); only bugs are thrown.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Cloud } from "../config/flags.js";
import { withInferred } from "../config/resolved.js";
import { ArvImageError, PackerError, PreflightError, UsageError } from "../errors.js";
import { emit } from "../events.js";
import type { Progress } from "../io.js";
import { makeScrubber, packerEnvironment } from "../packer/environment.js";
import type { ImageRef } from "../packer/results.js";
import { runPackerBuild } from "../packer/build-run.js";
import { forwarded } from "../packer/run.js";
import { InterruptedError, signalExit, throwIfInterrupted } from "../interrupt.js";
import { initAndValidate } from "../packer/validate.js";
import { preflightFailure } from "../preflight/report.js";
import type { PreflightResult } from "../preflight/run.js";
import { renderBuildDir } from "../render/build-dir.js";
import { cannotCreateIn, checkOutDir, checkOutputFile, writeBuildDir } from "../render/write.js";
import { BUILD_EXPIRY_HOURS } from "../clouds/tags.js";
import { utcStamp } from "../time.js";
import { afterBuild, buildPlan, gcHint, imageNameFor, lastError, scriptNames } from "./build-steps.js";
import type { AfterBuild, PackerRunSummary } from "./build-steps.js";
import { runLegacy } from "./legacy.js";
import { packerAndConfig, secretsOf, type ParsedOptions } from "./resolve.js";
import { validateStepFor } from "./validate.js";

/** What a `packer build` run was, for the result document. */
export interface BuildRun extends PackerRunSummary {
  cloud: Cloud;
  buildId: string;
}

export type BuildResult = (
  | ({ kind: "built"; run: BuildRun; images: ImageRef[] } & AfterBuild)
  | { kind: "dry-run"; cloud: Cloud; buildDirectory: string; imageName: string; plan: string[] }
  /** -debug: Packer talked to the terminal; its output (with the image id) is above, unparsed. */
  | { kind: "debug"; elapsedSeconds: number }
  /** A site's JSON template, run as it is: Packer's output was all there is. */
  | { kind: "legacy" }
  /** `run` when Packer ran (then `images` are those an interrupted build had already made). */
  | { kind: "failed"; error: ArvImageError; run?: BuildRun; images: ImageRef[]; why?: string; interrupted?: NodeJS.Signals; cleanupReported?: boolean }
) & { preflight?: PreflightResult };

export async function buildPipeline(raw: ParsedOptions, progress: Progress): Promise<BuildResult> {
  let preflight: PreflightResult | undefined;
  try {
    const r = await build(raw, progress, (p) => (preflight = p));
    return preflight ? { ...r, preflight } : r;
  } catch (e) {
    if (!(e instanceof ArvImageError)) throw e;
    return { kind: "failed", error: e, images: [], ...(preflight ? { preflight } : {}) };
  }
}

async function build(raw: ParsedOptions, progress: Progress, report: (r: PreflightResult) => void): Promise<BuildResult> {
  const started = new Date();
  const resolved = await packerAndConfig("build", raw, progress);
  const packer = resolved.packer;
  let c = resolved.c;
  const scrub = makeScrubber(secretsOf(c));
  progress.events?.redact(scrub);
  const verboseEnv: Record<string, string> = {};

  if (c.legacyTemplate) {
    await runLegacy(c, packer, progress, scrub);
    return { kind: "legacy" };
  }
  const cloud = c.cloud;
  throwIfInterrupted("the secrets files");
  // Every path the build writes is checked now, not after a paid 20-minute bake.
  await checkOutputs(c.command.out, c.options.emitConfig);
  if (!c.options.skipPreflight) {
    const { runPreflight, formatFindings } = await import("../preflight/run.js");
    progress.stderr(`arv-image: preflight (skip with --skip-preflight)\n`);
    const pre = await runPreflight(c, { packer, env: process.env, skipped: c.command.skipCheck, timeoutMs: c.command.preflightTimeout * 1000 });
    report(pre);
    throwIfInterrupted("preflight");
    if (progress.events)
      for (const f of pre.findings)
        emit(progress, f.severity === "info" ? "info" : f.severity === "warning" ? "warn" : "error", { type: "preflight", check: f.check, severity: f.severity }, f.message);
    else progress.stderr(formatFindings(pre.findings));
    if (pre.errors > 0) throw new PreflightError(preflightFailure(pre, "build"));
    // What preflight chose is what gets built: the AMI it checked, the user that AMI logs in with.
    c = withInferred(c, pre.inferred) as typeof c;
  }
  const o = c.options;
  const result = renderBuildDir(c, cloud);
  const out = c.command.out ?? freshDir(o.arvadosClusterId ?? "build", started);
  throwIfInterrupted("rendering");
  // An empty directory the operator named stays theirs: an interrupt empties it, never removes it.
  const before = await stat(out).catch(() => undefined);
  const dir = await writeBuildDir(out, result.files);
  progress.stderr(`arv-image: build directory ${dir}\n`);
  if (c.command.verbose) {
    verboseEnv.PACKER_LOG = "1";
    verboseEnv.PACKER_LOG_PATH = join(dir, `packer-debug-${utcStamp(started, "-")}.log`);
  }
  const env = packerEnvironment(
    process.env,
    c.secretsFiles.map((s) => s.env),
    verboseEnv,
  );
  for (const w of result.omitted) progress.stderr(`arv-image: left out for Packer ${packer.version}: ${w}\n`);
  try {
    await initAndValidate(packer, dir, validateStepFor(result), env, scrub, progress);
    // Synchronously from here to Packer's start: an interrupt is either seen here or
    // forwarded to Packer (forwardSignals), never lost in between.
    throwIfInterrupted("packer validate");
  } catch (e) {
    // Stopped before Packer built anything: the build directory is not kept half-used.
    if (e instanceof InterruptedError) {
      await rm(dir, { recursive: true, force: true });
      if (before?.isDirectory()) await mkdir(dir, { mode: before.mode & 0o7777 });
    }
    throw e;
  }

  const stamp = utcStamp(started);
  const epoch = String(Math.floor(started.getTime() / 1000));
  const buildId = `arvimg-${stamp}-${randomBytes(4).toString("hex")}`;
  const imageName = imageNameFor(c, stamp, epoch);
  if (c.command.dryRun) {
    return { kind: "dry-run", cloud, buildDirectory: dir, imageName, plan: buildPlan(c, result, imageName, stamp) };
  }

  // Temporary resources of this build count as leftovers for `arv-image gc` after this.
  const expires = new Date(started.getTime() + BUILD_EXPIRY_HOURS * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const vars = [
    "-var",
    `build_id=${buildId}`,
    "-var",
    `build_expires=${expires}`,
    "-var",
    `image_timestamp=${stamp}`,
    ...(cloud === "azure" ? ["-var", `image_epoch=${epoch}`] : []),
  ];
  // The SDK's standard EC2 endpoint override (preflight honours it) reaches Packer too,
  // whose amazon-ebs ignores the variable: the same endpoint for every call of the bake.
  const ec2Endpoint = cloud === "aws" ? (process.env.AWS_ENDPOINT_URL_EC2 ?? process.env.AWS_ENDPOINT_URL) : undefined;
  if (ec2Endpoint) {
    vars.push("-var", `custom_endpoint_ec2=${ec2Endpoint}`);
    progress.stderr(`arv-image: EC2 endpoint ${ec2Endpoint} (from ${process.env.AWS_ENDPOINT_URL_EC2 !== undefined ? "AWS_ENDPOINT_URL_EC2" : "AWS_ENDPOINT_URL"})\n`);
  }
  const debug = o.debug;
  const args = debug ? ["build", "-debug", ...vars, "."] : ["build", "-machine-readable", "-color=false", ...vars, "."];
  const where = `${cloud === "aws" ? `region ${o.awsRegion}` : cloud === "azure" ? "the temporary pkr-Resource-Group-*" : `zone ${o.gcpZone}`} (tagged arv-image-build-id=${buildId})`;
  const run = await runPackerBuild({
    packer,
    dir,
    args,
    env,
    started,
    progress,
    scrub,
    debug,
    scripts: scriptNames(result),
    onFirst: (s) =>
      `\narv-image: ${forwarded(s)} once; Packer is cleaning up (terminating the builder instance, deleting its temporary key pair and security group). Waiting for it to finish — press Ctrl-C again only if you accept leaving resources behind.\n`,
    onRepeat: (s) =>
      `\narv-image: ${s} passed to Packer again. WARNING: if Packer stops before its cleanup finishes, the builder instance, its temporary security group and key pair may be left in ${where} and keep costing money. arv-image still waits for Packer to exit.\n`,
  });
  const { code, logPath, interrupted } = run;
  const elapsed = (Date.now() - started.getTime()) / 1000;
  if (debug && !interrupted && code === 0) return { kind: "debug", elapsedSeconds: elapsed };
  // The build region's image first (Packer lists copies in no set order): it is the id to
  // paste, printed first, and imageId in --json; the copies follow.
  const all = run.artifacts.images();
  const images = cloud === "aws" ? [...all.filter((i) => i.region === o.awsRegion), ...all.filter((i) => i.region !== o.awsRegion)] : all;
  const summary: BuildRun = { cloud, buildId, buildDirectory: dir, log: logPath, elapsedSeconds: elapsed, packerSeconds: run.seconds, packerExitCode: code, timings: run.timings };

  if (interrupted || code !== 0 || images.length === 0) {
    const exit = interrupted ? signalExit(interrupted) : code !== 0 ? code : 1;
    const last = lastError(run.errors);
    const kept = images.length > 0 ? `; ${images.map((i) => i.id).join(", ")} had already been created and ${images.length === 1 ? "is" : "are"} kept` : "";
    // Only Packer's own closing line says its cleanup ran; without it (Packer killed, crashed,
    // or an older arv-image's SIGHUP) nothing is claimed and the sweep is the next step.
    const why = interrupted
      ? run.cleanupReported
        ? `interrupted (${interrupted}); Packer finished its cleanup and exited with ${code}${kept}`
        : `interrupted (${interrupted}); Packer exited with ${code} WITHOUT reporting that its cleanup finished: the builder instance, its temporary key pair and security group may be left in ${where} and keep costing money${kept}`
      : code !== 0
        ? `packer build failed with exit code ${code}${last ? `: ${last}` : ""}`
        : "packer build exited 0 but reported no image (no artifact line): nothing to put in the cluster config";
    // Images an interrupted build had already made exist (and cost storage): report them.
    const error = new PackerError(`${why}\nlog: ${logPath}${gcHint(c, buildId, expires)}`, exit, interrupted);
    return { kind: "failed", error, run: summary, images: interrupted ? images : [], why, ...(interrupted ? { interrupted, cleanupReported: run.cleanupReported } : {}) };
  }
  return { kind: "built", run: summary, images, ...(await afterBuild(c, images, progress)) };
}

/** --out and --emit-config, checked before anything paid runs: exit 2 naming the flag, nothing written. */
async function checkOutputs(out: string | undefined, emitConfig: string | undefined): Promise<void> {
  const problems: string[] = [];
  if (out !== undefined) {
    const parent = dirname(resolve(out));
    const p = await checkOutDir(out);
    const denied = p === undefined ? await cannotCreateIn(parent) : undefined;
    if (p) problems.push(p);
    else if (denied)
      problems.push(
        `--out ${JSON.stringify(out)}: cannot create anything in ${JSON.stringify(parent)} (${denied}); expected a path in a writable directory, e.g. --out ./build-zzzzz.`,
      );
  } else {
    // The build directory (and its log) goes into the current directory.
    const denied = await cannotCreateIn(process.cwd());
    if (denied)
      problems.push(
        `--out not given: the build directory would go into the current directory ${JSON.stringify(process.cwd())}, which takes no new files (${denied}); run from a writable directory or give --out, e.g. --out /tmp/build-zzzzz.`,
      );
  }
  if (emitConfig !== undefined) {
    const p = await checkOutputFile("--emit-config", emitConfig, "./zzzzz-image.yml");
    if (p) problems.push(p);
  }
  if (problems.length > 0) throw new UsageError(problems);
}

function freshDir(cluster: string, d: Date): string {
  const base = resolve(`arv-image-${cluster}-${utcStamp(d, "-")}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}
