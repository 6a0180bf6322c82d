/** Shared by the commands: flags → resolved configuration (or a UsageError), and the Packer that will run it. */
import type { Cloud } from "../config/flags.js";
import { MIN_PACKER, resolveConfig, type ResolvedConfig } from "../config/resolve.js";
import { EnvironmentError, UsageError } from "../errors.js";
import { throwIfInterrupted } from "../interrupt.js";
import type { Progress } from "../io.js";
import { packerEnvironment } from "../packer/environment.js";
import { credentialFileSecrets, registerSecrets, secretValuesOf } from "../secrets.js";
import { findPacker, type Packer } from "../packer/find.js";
import { detectPackerVersion } from "../packer/version.js";
import { packerFeatures } from "../render/context.js";

/** `packerVersion`: the version of the Packer that will run (build, validate); else `packer version` on the PATH. */
export async function resolveOrFail(raw: Record<string, unknown>, progress: Progress, packerVersion?: string, opts: { cloudOptional?: boolean; noImage?: boolean } = {}): Promise<ResolvedConfig> {
  const detected = raw.packerVersion === undefined ? (packerVersion ?? (await detectPackerVersion())) : undefined;
  const r = await resolveConfig({ raw, detectedPackerVersion: detected, cloudOptional: opts.cloudOptional, noImage: opts.noImage });
  // A secrets file stopped by an interrupt is not a usage error.
  throwIfInterrupted("the secrets files");
  if (!r.ok) throw new UsageError(r.problems);
  for (const w of r.config.warnings) progress.stderr(`arv-image: warning: ${w}\n`);
  return r.config;
}

/** --packer, or packer on the PATH. */
export const packerOf = (raw: Record<string, unknown>): Promise<Packer> => findPacker(raw.packer as string | undefined);

/**
 * The Packer to run and the configuration for it. A bad command line is reported as a
 * usage error (exit 2) even when Packer is missing too: the flags are checked first.
 */
export async function packerAndConfig(raw: Record<string, unknown>, progress: Progress): Promise<{ packer: Packer; c: ResolvedConfig & { cloud: Cloud } }> {
  let packer: Packer;
  try {
    packer = await packerOf(raw);
  } catch (e) {
    if (e instanceof EnvironmentError) await resolveOrFail(raw, { stderr: () => {} }, MIN_PACKER);
    throw e;
  }
  return { packer, c: await resolveForPacker(raw, progress, packer) };
}

/** Resolve for the Packer that will run: a --packer-version that asks for what it cannot do is refused. */
async function resolveForPacker(raw: Record<string, unknown>, progress: Progress, packer: Packer): Promise<ResolvedConfig & { cloud: Cloud }> {
  const c = await resolveOrFail(raw, progress, packer.version);
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

/**
 * The secrets of this run, scrubbed from everything that leaves arv-image: what the secrets
 * files export and what of the caller's environment reaches Packer, each variable as
 * src/secrets.ts decides (a region is not a secret, a session token is), and the keys inside
 * the credentials files Packer reads. Registered for main.ts's output too.
 */
export function secretsOf(c: ResolvedConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const caller = packerEnvironment(env, []);
  const fromFiles = Object.assign({}, ...c.secretsFiles.map((s) => s.env)) as Record<string, string>;
  const values = [
    ...secretValuesOf(caller, "environment"),
    ...c.secretsFiles.flatMap((s) => secretValuesOf(s.env, "secrets file")),
    ...credentialFileSecrets(fromFiles.GOOGLE_APPLICATION_CREDENTIALS ?? caller.GOOGLE_APPLICATION_CREDENTIALS),
    ...credentialFileSecrets(c.options.gcpAccountFile),
  ];
  registerSecrets(values);
  return values;
}
