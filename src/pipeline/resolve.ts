/**
 * Shared by the pipelines: what commander parsed → the frozen, resolved configuration (or
 * a UsageError naming every problem), and the Packer that will run it. After this nothing
 * reads the parsed options: commands take everything from the resolved configuration.
 */
import type { Cloud, CommandName } from "../config/flags.js";
import { MIN_PACKER, resolveConfig } from "../config/resolve.js";
import { forTerminal } from "../config/messages.js";
import type { ResolvedConfig } from "../config/resolved.js";
import { EnvironmentError, UsageError } from "../errors.js";
import { throwIfInterrupted } from "../interrupt.js";
import type { Progress } from "../io.js";
import { packerEnvironment } from "../packer/environment.js";
import { credentialFileSecrets, registerSecrets, secretValuesOf } from "../secrets.js";
import { findPacker, type Packer } from "../packer/find.js";
import { detectPackerVersion } from "../packer/version.js";
import { packerFeatures } from "../render/context.js";

/** What commander parsed: only the flags that were given. */
export type ParsedOptions = Readonly<Record<string, unknown>>;

/**
 * The frozen configuration for `command`, its warnings reported. `packerVersion`: the
 * version of the Packer that will run (build, validate); else `packer version` on the PATH.
 */
export async function resolveCommand<C extends CommandName>(command: C, raw: ParsedOptions, progress: Progress, packerVersion?: string): Promise<ResolvedConfig<C>> {
  const detected = raw.packerVersion === undefined ? (packerVersion ?? (await detectPackerVersion())) : undefined;
  const r = await resolveConfig({ command, raw, detectedPackerVersion: detected });
  // A secrets file stopped by an interrupt is not a usage error.
  throwIfInterrupted("the secrets files");
  if (!r.ok) throw new UsageError(r.problems);
  for (const w of r.config.warnings) progress.stderr(`arv-image: warning: ${forTerminal(w)}\n`);
  return r.config;
}

/** --packer, or packer on the PATH (read before resolution: its version decides what is rendered). */
export const packerOf = (raw: ParsedOptions): Promise<Packer> => findPacker(raw.packer as string | undefined);

export type CloudConfig<C extends CommandName> = ResolvedConfig<C> & { readonly cloud: Cloud };

/**
 * The Packer to run and the configuration for it. A bad command line is reported as a
 * usage error (exit 2) even when Packer is missing too: the flags are checked first.
 */
export async function packerAndConfig<C extends "build" | "validate">(command: C, raw: ParsedOptions, progress: Progress): Promise<{ packer: Packer; c: CloudConfig<C> }> {
  let packer: Packer;
  try {
    packer = await packerOf(raw);
  } catch (e) {
    if (e instanceof EnvironmentError) await resolveCommand(command, raw, { stderr: () => {} }, MIN_PACKER);
    if (e instanceof UsageError) {
      // A bad --packer and other bad flags: every problem at once.
      const r = await resolveConfig({ command, raw, detectedPackerVersion: MIN_PACKER });
      if (!r.ok) throw new UsageError([...e.problems, ...r.problems]);
    }
    throw e;
  }
  const c = await resolveCommand(command, raw, progress, packer.version);
  // A --packer-version that asks for what the Packer found cannot do is refused.
  if (c.sources.packerVersion === "flag") {
    const wanted = packerFeatures(c.packer.version);
    const actual = packerFeatures(packer.version);
    if (wanted.requiredPlugins !== actual.requiredPlugins) {
      throw new UsageError(
        `--packer-version ${c.packer.version}: the Packer that would run it is ${packer.version} (${packer.bin}), which ${actual.requiredPlugins ? "needs" : "cannot read"} required_plugins (versions.pkr.hcl, Packer >= 1.7). Drop --packer-version to render for the Packer found, e.g. arv-image build … without --packer-version.`,
      );
    }
  }
  return { packer, c: c as CloudConfig<C> }; // cloud is undefined only with a legacy template, handled first
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
