/**
 * provision: the provisioning of a bake, run on an existing machine over SSH through
 * Packer's null builder. Nothing is created in a cloud and nothing is captured; the
 * machine keeps its SSH host keys and machine id (the hygiene script leaves them when not
 * capturing). Returns how the run went; errors before Packer runs are thrown.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { PackerError, UsageError } from "../errors.js";
import type { Progress } from "../io.js";
import { runPackerBuild } from "../packer/build-run.js";
import { makeScrubber, packerEnvironment } from "../packer/environment.js";
import { forwarded, signalExit } from "../packer/run.js";
import { initAndValidate } from "../packer/validate.js";
import { renderBuildDir } from "../render/build-dir.js";
import { writeBuildDir } from "../render/write.js";
import { utcStamp } from "../time.js";
import { lastError, scriptNames, type PackerRunSummary } from "./build-steps.js";
import { packerOf, resolveCommand, secretsOf, type ParsedOptions } from "./resolve.js";
import { validateStepFor } from "./validate.js";

export interface ProvisionRun extends PackerRunSummary {
  /** user@host:port */
  target: string;
}

export type ProvisionResult = { ok: true; run: ProvisionRun } | { ok: false; run: ProvisionRun; why: string; error: PackerError };

export async function provisionPipeline(raw: ParsedOptions, progress: Progress): Promise<ProvisionResult> {
  const started = new Date();
  // The command line first (resolution checks --ssh-host and the key too): a usage error
  // must not wait for (or be hidden by) Packer.
  const c = await resolveCommand("provision", raw, progress);
  if (c.legacyTemplate) throw new UsageError(`--json-file ${JSON.stringify(c.legacyTemplate.path)}: provision runs arv-image's own scripts; drop --json-file.`);
  if (c.cloud !== undefined)
    progress.stderr(
      `arv-image: note: provision runs the cloud-neutral provisioning (no ${c.cloud} builder, nothing captured); what only a cloud's builder needs (AWS: the EBS autoscaler; Azure: deprovisioning before capture) is left out.\n`,
    );

  const packer = await packerOf(raw);
  const o = c.options;
  const cmd = c.command;
  const scrub = makeScrubber(secretsOf(c));
  progress.events?.redact(scrub);
  const result = renderBuildDir(c, "none");
  const out = cmd.out ?? freshDir(`arv-image-provision-${(cmd.sshHost ?? "host").replace(/[^A-Za-z0-9.-]/g, "_")}-${utcStamp(started, "-")}`);
  const dir = await writeBuildDir(out, result.files);
  progress.stderr(`arv-image: build directory ${dir}\n`);
  const env = packerEnvironment(
    process.env,
    c.secretsFiles.map((s) => s.env),
    cmd.verbose ? { PACKER_LOG: "1", PACKER_LOG_PATH: `${dir}/packer-debug-${utcStamp(started, "-")}.log` } : {},
  );
  await initAndValidate(packer, dir, validateStepFor(result), env, scrub, progress);

  const target = `${o.sshUser}@${cmd.sshHost}:${cmd.sshPort}`;
  const run = await runPackerBuild({
    packer,
    dir,
    args: ["build", "-machine-readable", "-color=false", "."],
    env,
    started,
    progress,
    scrub,
    debug: false,
    scripts: scriptNames(result),
    onFirst: (s) =>
      `\narv-image: ${forwarded(s)} once; waiting for it to stop the provisioning on ${target}. ${target} may be left half-provisioned: provision a fresh machine next time.\n`,
    onRepeat: (s) => `\narv-image: ${s} passed to Packer again; arv-image still waits for Packer to exit.\n`,
  });
  const elapsed = (Date.now() - started.getTime()) / 1000;
  const summary: ProvisionRun = {
    target,
    buildDirectory: dir,
    log: run.logPath,
    elapsedSeconds: elapsed,
    packerSeconds: run.seconds,
    packerExitCode: run.code,
    timings: run.timings,
  };
  if (run.interrupted || run.code !== 0) {
    const last = lastError(run.errors);
    const why = run.interrupted
      ? `interrupted (${run.interrupted}); Packer exited with ${run.code}`
      : `provisioning ${target} failed (packer exit ${run.code})${last ? `: ${last}` : ""}`;
    return { ok: false, run: summary, why, error: new PackerError(`${why}\nlog: ${run.logPath}`, run.interrupted ? signalExit(run.interrupted) : run.code, run.interrupted) };
  }
  return { ok: true, run: summary };
}

function freshDir(base: string): string {
  let dir = resolve(base);
  for (let i = 2; existsSync(dir); i++) dir = resolve(`${base}-${i}`);
  return dir;
}
