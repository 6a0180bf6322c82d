/**
 * `arv-image validate` and `arv-image build`: render, `packer init` (Packer >= 1.7),
 * `packer validate`, then `packer build -machine-readable` streamed line by line.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { Writable } from "node:stream";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Cloud } from "../config/flags.js";
import { MIN_PACKER, type ResolvedConfig } from "../config/resolve.js";
import { compareVersions } from "../compare-versions.js";
import { ArvImageError, EnvironmentError, PreflightError, UsageError } from "../errors.js";
import type { PreflightResult } from "../preflight/run.js";
import type { Inferred } from "../preflight/types.js";
import type { Io } from "../io.js";
import { renderBuildDir, type RenderResult } from "../render/build-dir.js";
import { packerFeatures } from "../render/context.js";
import { writeBuildDir, writeFileAtomic } from "../render/write.js";
import { clusterConfigFragment, EBS_AUTOSCALE_IAM_POLICY } from "../render/cluster-config.js";
import { BUILD_EXPIRY_HOURS } from "../clouds/tags.js";
import { ErrorCollector, type ImageRef } from "../packer/results.js";
import { PackerStream } from "../packer/stream.js";
import { LineSplitter } from "../packer/machine-readable.js";
import { makeScrubber, packerEnvironment, type Scrubber } from "../packer/environment.js";
import { forwardSignals, startPacker } from "../packer/run.js";
import { detectPackerVersion } from "../packer/version.js";
import { resolveOrFail } from "./resolve.js";

export const RESULT_SCHEMA = "arv-image.build-result/v1";

/** Packer failed (its own exit code) or was interrupted (130/143). */
export class PackerError extends ArvImageError {}

export interface Packer {
  bin: string;
  version: string;
}

export async function findPacker(raw: Record<string, unknown>): Promise<Packer> {
  const bin = (raw.packer as string | undefined) ?? "packer";
  const version = await detectPackerVersion(bin);
  if (version === undefined) {
    throw new EnvironmentError(
      raw.packer !== undefined
        ? `--packer ${JSON.stringify(bin)}: could not run it and read \`packer version\`; expected the path of a Packer binary, e.g. --packer /usr/bin/packer.`
        : `packer was not found on the PATH. Install Packer ${MIN_PACKER} or newer (Debian: apt-get install packer; HashiCorp's releases for 1.9+), or give its path with --packer PATH.`,
    );
  }
  if (compareVersions(version, MIN_PACKER) < 0) {
    throw new EnvironmentError(`${bin} is Packer ${version}; arv-image's HCL2 templates need Packer ${MIN_PACKER} or newer (HCL2 variables, sensitive values, formatdate).`);
  }
  return { bin, version };
}

/**
 * The Packer to run and the configuration for it. A bad command line is reported as a
 * usage error (exit 2) even when Packer is missing too: the flags are checked first.
 */
export async function packerAndConfig(raw: Record<string, unknown>, io: Io): Promise<{ packer: Packer; c: ResolvedConfig & { cloud: Cloud } }> {
  let packer: Packer;
  try {
    packer = await findPacker(raw);
  } catch (e) {
    if (e instanceof EnvironmentError) await resolveOrFail(raw, { ...io, stderr: () => {} }, MIN_PACKER);
    throw e;
  }
  return { packer, c: await resolveForPacker(raw, io, packer) };
}

/** Resolve for the Packer that will run: a --packer-version that asks for what it cannot do is refused. */
async function resolveForPacker(raw: Record<string, unknown>, io: Io, packer: Packer): Promise<ResolvedConfig & { cloud: Cloud }> {
  const c = await resolveOrFail(raw, io, packer.version);
  if (raw.packerVersion !== undefined) {
    const wanted = packerFeatures(c.packer.version);
    const actual = packerFeatures(packer.version);
    if (wanted.requiredPlugins !== actual.requiredPlugins) {
      throw new UsageError(
        `--packer-version ${c.packer.version}: the Packer that would run it is ${packer.version} (${packer.bin}), which ${actual.requiredPlugins ? "needs" : "cannot read"} required_plugins (versions.pkr.hcl, Packer >= 1.7). Drop --packer-version to render for the Packer found, e.g. arv-image build … without --packer-version.`,
      );
    }
  }
  return c as ResolvedConfig & { cloud: Cloud }; // cloud is undefined only with a legacy template, handled first

}

/** Runs a short Packer command to completion, collecting its output. */
async function packerStep(packer: Packer, args: string[], cwd: string, env: Record<string, string>, scrub: (s: string) => string): Promise<{ code: number; output: string }> {
  let output = "";
  const p = startPacker({ bin: packer.bin, args, cwd, env, onStdout: (c) => (output += c.toString("utf8")), onStderr: (c) => (output += c.toString("utf8")) });
  const sig = forwardSignals(p, { onFirst: () => {}, onRepeat: () => {} });
  try {
    const code = await p.exited;
    const first = sig.first();
    return { code: first ? signalExit(first) : code, output: scrub(output) };
  } finally {
    sig.stop();
  }
}

export const signalExit = (s: NodeJS.Signals) => (s === "SIGTERM" ? 143 : s === "SIGHUP" ? 129 : 130);

export function secretsOf(c: ResolvedConfig): string[] {
  return c.secretsFiles.flatMap((s) => Object.values(s.env));
}

export async function runValidate(raw: Record<string, unknown>, io: Io): Promise<void> {
  const { packer, c } = await packerAndConfig(raw, io);
  if (c.legacyTemplate) {
    throw new UsageError(`--json-file ${JSON.stringify(c.legacyTemplate.path)}: validate checks arv-image's own HCL2; for a site's JSON template run packer validate on it directly, or replace --json-file with --cloud aws|azure|gcp.`);
  }
  const scrub = makeScrubber(secretsOf(c));
  // --verbose: Packer's own debug log, shown with its output (the directory is temporary).
  const env = packerEnvironment(process.env, c.secretsFiles.map((s) => s.env), c.options.verbose ? { PACKER_LOG: "1" } : {});
  const parent = await mkdtemp(join(tmpdir(), "arv-image-validate-"));
  try {
    const result = renderBuildDir(c, c.cloud);
    const dir = await writeBuildDir(join(parent, "build"), result.files);
    await initAndValidate(packer, dir, result, env, scrub, io, c.options.verbose);
    io.stderr(`arv-image: packer validate passed for ${c.cloud} (Packer ${packer.version}).\n`);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}

export async function initAndValidate(packer: Packer, dir: string, result: RenderResult, env: Record<string, string>, scrub: (s: string) => string, io: Io, verbose = false): Promise<void> {
  if (result.files.some((f) => f.path === "versions.pkr.hcl")) {
    io.stderr(`arv-image: packer init (installs the ${result.cloud} plugin named in versions.pkr.hcl)\n`);
    const init = await packerStep(packer, ["init", "."], dir, env, scrub);
    if (init.code !== 0) throw new PackerError(`packer init failed (exit ${init.code}):\n${init.output.trimEnd()}`, init.code);
  }
  const v = await packerStep(packer, ["validate", "."], dir, env, scrub);
  if (v.code !== 0) throw new PackerError(`packer validate failed (exit ${v.code}):\n${v.output.trimEnd()}`, v.code);
  if (verbose && v.output.trim() !== "") io.stderr(`arv-image: packer validate said:\n${v.output.trimEnd()}\n`);
}

export function utcStamp(d: Date, sep = ""): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${sep}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

function plan(c: ResolvedConfig & { cloud: Cloud }, result: RenderResult, imageName: string): string {
  const o = c.options;
  const base =
    c.cloud === "aws"
      ? (o.awsSourceAmi ?? "newest official Debian 12 amd64 AMI (owner 136693071363)")
      : c.cloud === "azure"
        ? `${o.azureImagePublisher}/${o.azureImageOffer}/${o.azureSku ?? ""}`
        : `family ${o.gcpSourceImageFamily} (project ${o.gcpSourceImageProject})`;
  const where = c.cloud === "aws" ? `region ${o.awsRegion}` : c.cloud === "azure" ? `location ${o.azureLocation}` : `zone ${o.gcpZone}`;
  const size = c.cloud === "aws" ? o.awsInstanceType : c.cloud === "azure" ? o.azureVmSize : o.gcpMachineType;
  const installs = result.files.filter((f) => f.path.startsWith("scripts/")).map((f) => f.path.slice("scripts/".length));
  return [
    `cloud:          ${c.cloud} (${where})`,
    `base image:     ${base}`,
    `builder:        ${size}`,
    `image name:     ${imageName}`,
    `runtime engine: ${o.runtimeEngine}${o.nvidiaGpuSupport ? ", NVIDIA GPU support" : ""}${c.cloud === "aws" && o.awsEbsAutoscale ? ", EBS autoscaler for /tmp" : ", encrypted /tmp on local disks"}`,
    `scripts:        ${installs.join(" ")}`,
    ...result.omitted.map((x) => `left out:       ${x}`),
  ].join("\n");
}

/** With --json, every failure still leaves exactly one JSON document on stdout. */
export async function runBuild(raw: Record<string, unknown>, io: Io): Promise<void> {
  let printed = false;
  let preflight: PreflightResult | undefined;
  const guarded: Io = {
    ...io,
    stdout: (s) => {
      printed = true;
      // The build's own document carries the preflight findings too.
      if (preflight && raw.json === true && s.startsWith("{")) s = withPreflight(s, preflight);
      io.stdout(s);
    },
  };
  try {
    await build(raw, guarded, (r) => (preflight = r));
  } catch (e) {
    if (raw.json === true && !printed && e instanceof ArvImageError) {
      const doc = { schema: RESULT_SCHEMA, ok: false, images: [], error: e.message, exitCode: e.exitCode, ...(preflight ? { preflight: preflightJson(preflight) } : {}) };
      io.stdout(JSON.stringify(doc, null, 2) + "\n");
    }
    throw e;
  }
}

function withPreflight(doc: string, pre: PreflightResult): string {
  const o = JSON.parse(doc) as Record<string, unknown>;
  return JSON.stringify({ ...o, preflight: preflightJson(pre) }, null, 2) + "\n";
}

export function preflightJson(pre: PreflightResult): object {
  return { errors: pre.errors, warnings: pre.warnings, findings: pre.findings, chosen: pre.inferred };
}

/** One paragraph: how many errors, and the ways forward. */
export function preflightFailure(pre: PreflightResult, command: "build" | "preflight"): string {
  const e = `${pre.errors} error${pre.errors === 1 ? "" : "s"}`;
  const first = pre.findings.find((f) => f.severity === "error");
  return `preflight found ${e}${command === "build" ? "; nothing was built and nothing was created in the cloud" : ""}. Fix ${pre.errors === 1 ? "it" : "them"} (the message says how), or leave a check out with --skip-check ${first?.check ?? "NAME"}${command === "build" ? " (or all of them with --skip-preflight)" : ""}.`;
}

/** What preflight chose is what gets built: the AMI it checked, the user that AMI logs in with. */
function applyInferred(c: ResolvedConfig, inferred: Inferred): void {
  if (inferred.awsSourceAmi && c.options.awsSourceAmi === undefined) {
    c.options.awsSourceAmi = inferred.awsSourceAmi.id;
    c.sources.awsSourceAmi = "detected";
  }
  if (inferred.awsRootDevice && c.options.awsRootDevice === undefined) {
    c.options.awsRootDevice = inferred.awsRootDevice;
    c.sources.awsRootDevice = "detected";
  }
  if (inferred.sshUser && c.sources.sshUser === "inferred") {
    c.options.sshUser = inferred.sshUser;
    c.sources.sshUser = "detected";
  }
}

async function build(raw: Record<string, unknown>, io: Io, report: (r: PreflightResult) => void): Promise<void> {
  const started = new Date();
  const { packer, c } = await packerAndConfig(raw, io);
  const json = raw.json === true;
  const scrub = makeScrubber(secretsOf(c));
  const verboseEnv: Record<string, string> = {};

  if (c.legacyTemplate) {
    await runLegacy(c, packer, io, scrub);
    return;
  }
  const cloud = c.cloud;
  if (c.options.emitConfig !== undefined && !existsSync(dirname(resolve(c.options.emitConfig)))) {
    throw new UsageError(`--emit-config ${JSON.stringify(c.options.emitConfig)}: its directory does not exist; expected a file path in an existing directory, e.g. --emit-config ./zzzzz-image.yml.`);
  }
  if (!c.options.skipPreflight) {
    const { runPreflight, formatFindings } = await import("../preflight/run.js");
    io.stderr(`arv-image: preflight (skip with --skip-preflight)\n`);
    const pre = await runPreflight(c, { packer, env: process.env, skipped: c.options.skipCheck, timeoutMs: c.options.preflightTimeout * 1000 });
    report(pre);
    io.stderr(formatFindings(pre.findings));
    if (pre.errors > 0) throw new PreflightError(preflightFailure(pre, "build"));
    applyInferred(c, pre.inferred);
  }
  const o = c.options;
  const result = renderBuildDir(c, cloud);
  const out = (raw.out as string | undefined) ?? freshDir(o.arvadosClusterId ?? "build", started);
  const dir = await writeBuildDir(out, result.files);
  io.stderr(`arv-image: build directory ${dir}\n`);
  if (raw.verbose === true) {
    verboseEnv.PACKER_LOG = "1";
    verboseEnv.PACKER_LOG_PATH = join(dir, `packer-debug-${utcStamp(started, "-")}.log`);
  }
  const env = packerEnvironment(process.env, c.secretsFiles.map((s) => s.env), verboseEnv);
  for (const w of result.omitted) io.stderr(`arv-image: left out for Packer ${packer.version}: ${w}\n`);
  await initAndValidate(packer, dir, result, env, scrub, io);

  const stamp = utcStamp(started);
  const epoch = String(Math.floor(started.getTime() / 1000));
  const buildId = `arvimg-${stamp}-${randomBytes(4).toString("hex")}`;
  const imageName =
    cloud === "aws" ? `arvados-${o.arvadosClusterId}-compute-${stamp}` : cloud === "azure" ? `${o.arvadosClusterId}-compute-v${epoch}` : `arvados-${o.arvadosClusterId}-compute-${stamp}`;
  if (raw.dryRun === true) {
    io.stderr(`arv-image: packer validate passed; --dry-run stops here. The build would be:\n${plan(c, result, imageName)}\n`);
    if (json) io.stdout(JSON.stringify({ schema: RESULT_SCHEMA, ok: true, dryRun: true, cloud, buildDirectory: dir, imageName, plan: plan(c, result, imageName).split("\n") }, null, 2) + "\n");
    return;
  }

  // Temporary resources of this build count as leftovers for `arv-image gc` after this.
  const expires = new Date(started.getTime() + BUILD_EXPIRY_HOURS * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const vars = ["-var", `build_id=${buildId}`, "-var", `build_expires=${expires}`, "-var", `image_timestamp=${stamp}`, ...(cloud === "azure" ? ["-var", `image_epoch=${epoch}`] : [])];
  // The SDK's standard EC2 endpoint override (preflight honours it) reaches Packer too,
  // whose amazon-ebs ignores the variable: the same endpoint for every call of the bake.
  const ec2Endpoint = cloud === "aws" ? (process.env.AWS_ENDPOINT_URL_EC2 ?? process.env.AWS_ENDPOINT_URL) : undefined;
  if (ec2Endpoint) {
    vars.push("-var", `custom_endpoint_ec2=${ec2Endpoint}`);
    io.stderr(`arv-image: EC2 endpoint ${ec2Endpoint} (from ${process.env.AWS_ENDPOINT_URL_EC2 !== undefined ? "AWS_ENDPOINT_URL_EC2" : "AWS_ENDPOINT_URL"})\n`);
  }
  const debug = o.debug;
  const args = debug ? ["build", "-debug", ...vars, "."] : ["build", "-machine-readable", "-color=false", ...vars, "."];
  const run = await runPackerBuild({
    packer,
    dir,
    args,
    env,
    started,
    io,
    scrub,
    debug,
    onFirst: (s) =>
      `\narv-image: ${s} received and passed to Packer once; Packer is cleaning up (terminating the builder instance, deleting its temporary key pair and security group). Waiting for it to finish — press Ctrl-C again only if you accept leaving resources behind.\n`,
    onRepeat: (s) =>
      `\narv-image: ${s} passed to Packer again. WARNING: if Packer stops before its cleanup finishes, the builder instance, its temporary security group and key pair may be left in ${cloud === "aws" ? `region ${o.awsRegion}` : cloud === "azure" ? "the temporary pkr-Resource-Group-*" : `zone ${o.gcpZone}`} (tagged arv-image-build-id=${buildId}) and keep costing money. arv-image still waits for Packer to exit.\n`,
  });
  const { code, logPath } = run;
  const { artifacts, errors } = run.stream;
  const elapsed = (Date.now() - started.getTime()) / 1000;
  const interrupted = run.interrupted;
  if (debug && !interrupted && code === 0) {
    // -debug talks to the terminal directly: its output (and the image id) is above, unparsed.
    io.stderr(`\narv-image: packer build -debug finished in ${formatElapsed(elapsed)}; the image id is in Packer's output above.\n`);
    return;
  }
  const images = artifacts.images();
  const base = { schema: RESULT_SCHEMA, cloud, buildId, buildDirectory: dir, log: logPath, elapsedSeconds: Math.round(elapsed * 10) / 10, packerSeconds: Math.round(run.seconds * 1000) / 1000, packerExitCode: code };

  if (interrupted || code !== 0 || images.length === 0) {
    const exit = interrupted ? signalExit(interrupted) : code !== 0 ? code : 1;
    const why = interrupted
      ? `interrupted (${interrupted}); Packer exited with ${code} after its cleanup${images.length > 0 ? `; ${images.map((i) => i.id).join(", ")} had already been created and ${images.length === 1 ? "is" : "are"} kept` : ""}`
      : code !== 0
        ? `packer build failed with exit code ${code}${lastError(errors) ? `: ${lastError(errors)}` : ""}`
        : "packer build exited 0 but reported no image (no artifact line): nothing to put in the cluster config";
    // Images an interrupted build had already made exist (and cost storage): report them.
    if (json) io.stdout(JSON.stringify({ ...base, ok: false, images: interrupted ? images : [], error: why }, null, 2) + "\n");
    // Packer's cleanup normally removes everything; if it could not, this finds what is left.
    const gcHint =
      cloud === "aws"
        ? `\nIf anything was left behind it is tagged arv-image-build-id=${buildId}; to check: arv-image gc --cloud aws --aws-region ${o.awsRegion}${o.awsProfile !== undefined ? ` --aws-profile ${o.awsProfile}` : ""} --dry-run --older-than 0m (without --dry-run to delete; after ${expires} gc finds it without --older-than).`
        : cloud === "azure"
          ? `\nIf anything was left behind it is in a temporary resource group pkr-Resource-Group-* tagged arv-image-build-id=${buildId}; to check: arv-image gc --cloud azure --azure-secrets-file FILE --dry-run --older-than 0m.`
          : "";
    throw new PackerError(`${why}\nlog: ${logPath}${gcHint}`, exit);
  }
  if (cloud === "aws") {
    // The images are the product: take them out of what `arv-image gc` may sweep.
    const { keepImages } = await import("../clouds/aws.js");
    const { cloudContext } = await import("../clouds/context.js");
    const warnings = await keepImages(cloudContext(c), images);
    for (const w of warnings) io.stderr(`arv-image: warning: ${w}\n`);
  }
  const snippet = clusterConfigFragment({
    clusterId: o.arvadosClusterId ?? "zzzzz",
    cloud,
    images,
    ...(o.azureResourceGroup !== undefined ? { azureResourceGroup: o.azureResourceGroup } : {}),
    ebsAutoscale: cloud === "aws" && o.awsEbsAutoscale,
    ...(c.cluster ? { instanceTypes: c.cluster.instanceTypes, ...(c.cluster.iamInstanceProfile ? { iamInstanceProfile: c.cluster.iamInstanceProfile } : {}) } : {}),
  });
  if (o.emitConfig !== undefined) {
    await writeFileAtomic(o.emitConfig, snippet);
    io.stderr(`arv-image: wrote the config.yml changes to ${o.emitConfig}\n`);
  }
  if (json) {
    const iamPolicy = cloud === "aws" && o.awsEbsAutoscale ? { iamPolicy: EBS_AUTOSCALE_IAM_POLICY } : {};
    io.stdout(JSON.stringify({ ...base, ok: true, imageId: cloud === "azure" ? (images[0]?.name ?? images[0]?.id) : images[0]?.id, images, arvadosConfig: snippet, ...iamPolicy, error: null }, null, 2) + "\n");
  } else {
    io.stdout(images.map((i) => (i.region ? `${i.region} ${i.id}` : i.id)).join("\n") + "\n");
  }
  io.stderr(`\narv-image: built ${images.length === 1 ? "image" : "images"} ${images.map((i) => i.id).join(", ")} in ${formatElapsed(elapsed)}\nlog: ${logPath}\nPaste into the cluster config (config.yml):\n\n${snippet}`);
}

interface PackerRun {
  packer: Packer;
  dir: string;
  args: string[];
  env: Record<string, string>;
  started: Date;
  io: Io;
  scrub: Scrubber;
  debug: boolean;
  onFirst: (signal: NodeJS.Signals) => string;
  onRepeat: (signal: NodeJS.Signals) => string;
}

/** Unwritten live view beyond which lines are left out of it (see flushBuffers). */
const VIEW_BACKLOG_BYTES = 8 * 1024 * 1024;

/**
 * Runs `packer build` in the build directory: the live view on stderr, every line in the
 * log file, back-pressure, and the interrupt protocol (forward, keep streaming, wait).
 */
export async function runPackerBuild(r: PackerRun): Promise<{ code: number; interrupted: NodeJS.Signals | undefined; stream: PackerStream; logPath: string; seconds: number }> {
  const { packer, dir, args, env, started, io, debug } = r;
  const logPath = join(dir, `packer-${utcStamp(started, "-")}.log`);
  // -debug hands Packer the terminal: nothing passes through arv-image, so no log file.
  // A 2 MiB write buffer, twice a batch (below): reading goes on while a write is under way
  // (with the default 16 KiB, every 64 KiB read waited for its write), and memory stays
  // bounded all the same.
  const log = debug ? new Writable({ write: (_c, _e, cb) => cb() }) : createWriteStream(logPath, { mode: 0o600, highWaterMark: 2 << 20 });
  // A failing log file or a closed terminal must never end arv-image before Packer:
  // report it and keep waiting (Packer may be deleting cloud resources).
  let logFailed = false;
  log.on("error", (e: Error) => {
    if (!logFailed) io.stderr(`arv-image: warning: cannot write ${logPath}: ${e.message}; still waiting for Packer\n`);
    logFailed = true;
  });
  for (const s of [process.stdout, process.stderr]) s.on("error", () => {});
  const color = process.stderr.isTTY === true && process.env.NO_COLOR === undefined;
  const stream = new PackerStream({ scrub: r.scrub, color });
  // Output is written in batches: at 1 MiB, or 20 ms after the first unwritten line (too
  // short for a person to notice). Packer writes every line with its own write(2); passing
  // each on as it came cost two system calls per line, and batches of 64 KiB still cost a
  // tenth of the streaming time in `npm run bench`.
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;
  // Bytes of view given to stderr and not written yet (a pipe's writes queue in memory), and
  // lines left out while there were too many.
  let viewBacklog = 0;
  let notShown = 0;
  const flushBuffers = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    pending = 0;
    const { log: logParts, view, release } = stream.take();
    if (logParts.length > 0 && !logFailed) {
      // One writev for all the pieces (mostly Packer's own chunks, written as they came).
      log.cork();
      for (const part of logParts) log.write(part);
      log.uncork();
    }
    if (view.length === 0) return;
    // A terminal (or pipe) that falls behind must neither block Packer (its cleanup could
    // stall behind `| less`) nor fill memory: past a backlog of unwritten view, lines are
    // left out of the view (the log has them all) and a notice says how many.
    if (viewBacklog + view.length > VIEW_BACKLOG_BYTES) {
      release();
      for (let nl = view.indexOf(0x0a); nl !== -1; nl = view.indexOf(0x0a, nl + 1)) notShown++;
      return;
    }
    if (notShown > 0) sayNotShown();
    viewBacklog += view.length;
    io.stderr(view, () => {
      viewBacklog -= view.length;
      release();
    });
  };
  const sayNotShown = () => {
    io.stderr(`arv-image: ${notShown} ${notShown === 1 ? "line" : "lines"} of Packer's output left out here: the terminal fell behind (the log has every line: ${logPath})\n`);
    notShown = 0;
  };
  const received = (bytes: number) => {
    pending += bytes;
    if (pending >= 1024 * 1024) flushBuffers();
    else timer ??= setTimeout(flushBuffers, 20);
    backPressure();
  };
  io.stderr(debug ? `arv-image: packer build -debug (Packer ${packer.version}; interactive, not logged)\n` : `arv-image: packer build (Packer ${packer.version}); log ${logPath}\n`);
  // Memory stays flat: when the log file lags, stop reading Packer until it drains.
  let paused = false;
  const backPressure = () => {
    if (!paused && !logFailed && log.writableNeedDrain) {
      paused = true;
      p.pauseOutput();
      log.once("drain", () => {
        paused = false;
        p.resumeOutput();
      });
    }
  };
  const startedPacker = performance.now();
  const p = startPacker({
    bin: packer.bin,
    args,
    cwd: dir,
    env,
    interactive: debug,
    onStdout: (c) => {
      stream.stdout(c);
      received(c.length);
    },
    onStderr: (c) => {
      stream.stderr(c);
      received(c.length);
    },
  });
  const sig = forwardSignals(p, {
    onFirst: (s) => {
      flushBuffers();
      io.stderr(r.onFirst(s));
    },
    onRepeat: (s) => {
      flushBuffers();
      io.stderr(r.onRepeat(s));
    },
  });
  let code: number;
  try {
    code = await p.exited;
  } finally {
    sig.stop();
  }
  stream.end();
  flushBuffers();
  if (notShown > 0) sayNotShown();
  await new Promise<void>((r) => (logFailed ? r() : log.end(r)));
  return { code, interrupted: sig.first(), stream, logPath, seconds: (performance.now() - startedPacker) / 1000 };
}

/** Packer's own one-line reason for a failed build, else the last error it printed. */
export function lastError(errors: ErrorCollector): string | undefined {
  return errors.buildErrors().at(-1)?.message ?? errors.errors().at(-1);
}

export function formatElapsed(s: number): string {
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${Math.round(s - m * 60)} s` : `${s.toFixed(1)} s`;
}

function freshDir(cluster: string, d: Date): string {
  const base = resolve(`arv-image-${cluster}-${utcStamp(d, "-")}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

/** A site's own JSON template, run as it is with build.sh's variables (argument vector, no shell). */
async function runLegacy(c: ResolvedConfig, packer: Packer, io: Io, scrub: (s: string) => string): Promise<void> {
  const t = c.legacyTemplate;
  if (!t) return;
  io.stderr(
    `arv-image: notice: running your own JSON template ${t.path} the way build.sh did (legacy pass-through). arv-image's native path renders HCL2 with checked values: replace --json-file with --cloud aws|azure|gcp (see arv-image render).\n`,
  );
  const args = ["build", ...(c.options.debug ? ["-debug"] : []), ...t.variables.flatMap(([k, v]) => ["-var", `${k}=${v}`]), resolve(t.path)];
  const env = packerEnvironment(process.env, c.secretsFiles.map((s) => s.env));
  // Whole lines, so that a secret split across two reads is still found and replaced.
  const splitter = () => new LineSplitter((line, whole) => io.stderr(scrub(line) + (whole ? "\n" : "")));
  const out = splitter();
  const err = splitter();
  const p = startPacker({ bin: packer.bin, args, cwd: process.cwd(), env, interactive: c.options.debug, onStdout: (b) => out.push(b), onStderr: (b) => err.push(b) });
  const sig = forwardSignals(p, {
    onFirst: (s) => io.stderr(`\narv-image: ${s} passed to Packer; waiting for its cleanup.\n`),
    onRepeat: (s) => io.stderr(`\narv-image: ${s} passed again. WARNING: cloud resources of this build may be left behind.\n`),
  });
  let code: number;
  try {
    code = await p.exited;
  } finally {
    sig.stop();
  }
  out.flush();
  err.flush();
  const first = sig.first();
  if (first) throw new PackerError(`interrupted (${first}); Packer exited with ${code}`, signalExit(first));
  if (code !== 0) throw new PackerError(`packer build ${t.path} failed with exit code ${code}`, code);
}
