/**
 * `arv-image provision`: the provisioning of a bake, run on an existing machine over SSH
 * through Packer's null builder — to try a configuration on a throwaway VM before paying
 * for a bake. Nothing is created in a cloud and nothing is captured; the machine keeps its
 * SSH host keys and machine id (the hygiene script leaves them when not capturing).
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { flagByKey } from "../config/flags.js";
import { badValue } from "../config/resolve.js";
import { looksLikePrivateKey } from "../config/ssh-key.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { makeScrubber, packerEnvironment } from "../packer/environment.js";
import { renderBuildDir } from "../render/build-dir.js";
import { writeBuildDir } from "../render/write.js";
import { findPacker, formatElapsed, initAndValidate, lastError, PackerError, runPackerBuild, secretsOf, signalExit, utcStamp } from "./build.js";
import { resolveOrFail } from "./resolve.js";

export const PROVISION_SCHEMA = "arv-image.provision-result/v1";

export async function runProvision(raw: Record<string, unknown>, io: Io): Promise<void> {
  const started = new Date();
  // The command line first: a usage error must not wait for (or be hidden by) Packer.
  const problems: string[] = [];
  if (raw.sshHost === undefined) problems.push(`--ssh-host is required for provision: the machine to provision, e.g. --ssh-host 10.0.0.12.`);
  const keyFile = raw.sshPrivateKeyFile as string | undefined;
  if (keyFile === undefined) problems.push(`--ssh-private-key-file is required for provision: the private key Packer logs in with as --ssh-user, e.g. --ssh-private-key-file ~/.ssh/id_ed25519.`);
  else {
    try {
      accessSync(keyFile, constants.R_OK);
      if (!looksLikePrivateKey(readFileSync(keyFile, "utf8"))) problems.push(badValue(flagByKey("sshPrivateKeyFile"), keyFile, "it does not hold a private key (a public key goes in the machine's authorized_keys)"));
    } catch {
      problems.push(badValue(flagByKey("sshPrivateKeyFile"), keyFile, "cannot read it"));
    }
  }
  let c;
  try {
    c = await resolveOrFail(raw, io, undefined, { cloudOptional: true });
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError([...problems, ...e.problems]);
    throw e;
  }
  if (problems.length > 0) throw new UsageError(problems);
  if (c.legacyTemplate) throw new UsageError(`--json-file ${JSON.stringify(c.legacyTemplate.path)}: provision runs arv-image's own scripts; drop --json-file.`);
  if (c.cloud !== undefined) io.stderr(`arv-image: note: provision runs the cloud-neutral provisioning (no ${c.cloud} builder, nothing captured); ${c.cloud}-only parts such as the EBS autoscaler are left out.\n`);

  const packer = await findPacker(raw);
  const o = c.options;
  const json = o.json;
  const scrub = makeScrubber(secretsOf(c));
  const result = renderBuildDir(c, "none");
  const out = o.out ?? freshDir(`arv-image-provision-${(o.sshHost ?? "host").replace(/[^A-Za-z0-9.-]/g, "_")}-${utcStamp(started, "-")}`);
  const dir = await writeBuildDir(out, result.files);
  io.stderr(`arv-image: build directory ${dir}\n`);
  const env = packerEnvironment(process.env, c.secretsFiles.map((s) => s.env), o.verbose ? { PACKER_LOG: "1", PACKER_LOG_PATH: `${dir}/packer-debug-${utcStamp(started, "-")}.log` } : {});
  await initAndValidate(packer, dir, result, env, scrub, io);

  const target = `${o.sshUser}@${o.sshHost}:${o.sshPort}`;
  const run = await runPackerBuild({
    packer,
    dir,
    args: ["build", "-machine-readable", "-color=false", "."],
    env,
    started,
    io,
    scrub,
    debug: false,
    onFirst: (s) => `\narv-image: ${s} received and passed to Packer once; waiting for it to stop the provisioning on ${target}. ${target} may be left half-provisioned: provision a fresh machine next time.\n`,
    onRepeat: (s) => `\narv-image: ${s} passed to Packer again; arv-image still waits for Packer to exit.\n`,
  });
  const elapsed = (Date.now() - started.getTime()) / 1000;
  const base = { schema: PROVISION_SCHEMA, target, buildDirectory: dir, log: run.logPath, elapsedSeconds: Math.round(elapsed * 10) / 10, packerSeconds: Math.round(run.seconds * 1000) / 1000, packerExitCode: run.code };
  if (run.interrupted || run.code !== 0) {
    const why = run.interrupted
      ? `interrupted (${run.interrupted}); Packer exited with ${run.code}`
      : `provisioning ${target} failed (packer exit ${run.code})${lastError(run.stream.errors) ? `: ${lastError(run.stream.errors)}` : ""}`;
    if (json) io.stdout(JSON.stringify({ ...base, ok: false, error: why }, null, 2) + "\n");
    throw new PackerError(`${why}\nlog: ${run.logPath}`, run.interrupted ? signalExit(run.interrupted) : run.code);
  }
  if (json) io.stdout(JSON.stringify({ ...base, ok: true, error: null }, null, 2) + "\n");
  else io.stdout(`${target}\n`);
  io.stderr(`\narv-image: provisioned ${target} in ${formatElapsed(elapsed)}; the dispatcher-contract check passed.\nlog: ${run.logPath}\n`);
}

function freshDir(base: string): string {
  let dir = resolve(base);
  for (let i = 2; existsSync(dir); i++) dir = resolve(`${base}-${i}`);
  return dir;
}
