/**
 * Flags → resolved configuration. Collects every problem and returns them all; never
 * throws for bad input. Reads files, never writes. The result is frozen (resolved.ts).
 */
import { basename } from "node:path";
import { compareVersions } from "../compare-versions.js";
import { COMMAND_OPTION_KEYS, flagByKey, type CommandName } from "./flags.js";
import { optionsSchema, type OptionKey } from "./schema.js";
import type { PublicKey } from "./ssh-key.js";
import { runSecretsFile } from "./secrets-file.js";
import type { ArvadosClusterFacts } from "./arvados-facts.js";
import { legacyVariables } from "./legacy.js";
import { badValue, CONTROL, flagText, missing, quote } from "./messages.js";
import { commandProblems } from "./command-rules.js";
import { checkFile, readHostsEntries, readPublicKeys } from "./files.js";
import { LIMITS } from "./read-file.js";
import { PACKER_TEMPLATE, packerText } from "./values.js";
import { amiRegionRules, azureGalleryRules, azureLocationRule, chooseCloud, ebsRules, readMirrors, rootDeviceRule, STOCK_TEMPLATES, workdirRule } from "./rules.js";
import { deepFreeze, type CommandOptions, type ConfigData, type SecretsFile, type Source } from "./resolved.js";
import { baseOsImages, chooseRelease, rocmRule } from "./release.js";
import { BASE_OSES } from "../releases/base-os.js";

export { badValue } from "./messages.js";
export { STOCK_TEMPLATES } from "./rules.js";
export { withInferred, type CommandOptions, type HostsEntry, type InferredValues, type SecretsFile, type Source } from "./resolved.js";
export type { ResolvedConfig } from "./resolved.js";

/** Oldest Packer whose HCL2 handles what arv-image renders (Debian 12/13 ship 1.6.6). */
export const MIN_PACKER = "1.6.6";
/** Rendered for when no packer is found and no --packer-version is given. */
export const DEFAULT_PACKER = "1.11.2";

export interface ResolveInput<C extends CommandName = CommandName> {
  /** The command that runs: it decides which flags are required (gc builds no image; provision needs no cloud). */
  command: C;
  /** What commander parsed: only the flags that were given. */
  raw: Readonly<Record<string, unknown>>;
  /** `packer version` output parsed by the caller, if packer is on PATH. */
  detectedPackerVersion?: string | undefined;
  /** No cloud is needed (default: provision and gc). */
  cloudOptional?: boolean | undefined;
  /** An account to sweep, not an image to build: no cluster id or key needed (default: gc). */
  noImage?: boolean | undefined;
}

export type ResolveResult<C extends CommandName = CommandName> = { ok: true; config: import("./resolved.js").ResolvedConfig<C> } | { ok: false; problems: string[] };

/** What the legacy pass-through has none of, by flag. */
const LEGACY_LACKS = { dryRun: "dry run", out: "build directory", json: "JSON result", emitConfig: "cluster config to write" } as const;

export async function resolveConfig<C extends CommandName>(input: ResolveInput<C>): Promise<ResolveResult<C>> {
  const r = await resolveData(input);
  return r.ok ? { ok: true, config: deepFreeze(r.config) } : r;
}

async function resolveData<C extends CommandName>(input: ResolveInput<C>): Promise<{ ok: true; config: ConfigData<C> } | { ok: false; problems: string[] }> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const raw = input.raw;
  const given = new Set(Object.keys(raw).filter((k) => raw[k] !== undefined));
  const noImage = input.noImage ?? input.command === "gc";
  const cloudOptional = input.cloudOptional ?? (input.command === "gc" || input.command === "provision");

  // 0. What the command itself needs (render's --out, provision's machine and key).
  problems.push(...(await commandProblems(input.command, raw)));

  // 1. Formats and defaults (zod), one paragraph per bad flag. The bad values are then
  // set aside so the other rules still run and every problem is reported at once.
  let parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const bad = new Set<string>();
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0]);
      if (bad.has(key)) continue;
      bad.add(key);
      const value = raw[key];
      const v: unknown = Array.isArray(value) ? value[Number(issue.path[1] ?? 0)] : value;
      const detail =
        typeof v !== "string"
          ? undefined
          : CONTROL.test(v)
            ? "it contains a control character (shown escaped)"
            : v.includes(PACKER_TEMPLATE) && flagByKey(key).type === packerText
              ? 'Packer 1.6.6 and later evaluate "{{ }}" in this setting as a Go template, so the value would not reach the cloud as written'
              : undefined;
      problems.push(badValue(flagByKey(key), v, detail));
    }
    parsed = optionsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([k]) => !bad.has(k))));
    if (!parsed.success) return { ok: false, problems };
  }
  // A draft, private to this function until it is frozen.
  const o = parsed.data;
  const sources: Partial<Record<OptionKey, Source>> = {};
  for (const key of Object.keys(o) as OptionKey[]) {
    if (given.has(key)) sources[key] = "flag";
    else if (o[key] !== undefined && !(Array.isArray(o[key]) && o[key].length === 0)) sources[key] = "default";
  }

  // 2. Which cloud.
  const cloud = chooseCloud(o, given, cloudOptional ? [] : problems);

  // 3. The legacy JSON pass-through.
  let legacyPath: string | undefined;
  if (o.jsonFile !== undefined && !(basename(o.jsonFile) in STOCK_TEMPLATES)) {
    const p = checkFile(flagByKey("jsonFile"), o.jsonFile, LIMITS.config);
    if (p) problems.push(p);
    else legacyPath = o.jsonFile;
    // The pass-through runs the site's template as build.sh did: these would be ignored, and
    // an ignored --dry-run starts a real bake.
    for (const key of ["dryRun", "out", "json", "emitConfig"] as const)
      if (input.command === "build" && given.has(key))
        problems.push(
          `--${flagByKey(key).name}: not with --json-file ${JSON.stringify(o.jsonFile)}, which is run as it is, the way build.sh ran it (legacy pass-through), with no ${LEGACY_LACKS[key]}; for arv-image's own build, give --cloud aws|azure|gcp instead of --json-file (see arv-image render).`,
        );
  }

  // 4. The cluster's own config.yml, when given: it can supply the cluster id, the
  // dispatcher's key, the runtime engine and the login user.
  let cluster: ArvadosClusterFacts | undefined;
  // Loaded only when used: the YAML parser is not part of every start-up.
  const arvadosConfig = o.arvadosConfig !== undefined ? await import("./arvados-config.js") : undefined;
  if (o.arvadosConfig !== undefined && arvadosConfig !== undefined) {
    const r = arvadosConfig.readArvadosConfig(o.arvadosConfig, o.arvadosClusterId);
    if (!r.ok) problems.push(...r.problems);
    else {
      cluster = r.cluster;
      if (o.arvadosClusterId === undefined) {
        o.arvadosClusterId = cluster.clusterId;
        sources.arvadosClusterId = "cluster config";
      }
      if (!given.has("runtimeEngine") && cluster.runtimeEngine !== undefined) {
        o.runtimeEngine = cluster.runtimeEngine;
        sources.runtimeEngine = "cluster config";
      }
      if (!given.has("loginUser") && cluster.adminUsername !== undefined) {
        o.loginUser = cluster.adminUsername;
        sources.loginUser = "cluster config";
      }
    }
  }

  // 5. Required flags.
  // (With --arvados-config, a missing id was already explained in terms of the file.)
  if (!given.has("arvadosClusterId") && o.arvadosClusterId === undefined && !noImage && o.arvadosConfig === undefined)
    problems.push(missing(flagByKey("arvadosClusterId"), "for every build"));
  if (!given.has("publicKeyFile") && cluster?.dispatchPublicKey === undefined && !noImage && o.arvadosConfig === undefined) {
    problems.push(missing(flagByKey("publicKeyFile"), "for every build (or --arvados-config with Containers.DispatchPrivateKey)"));
  } else if (!given.has("publicKeyFile") && o.arvadosConfig !== undefined && cluster !== undefined && cluster.dispatchPublicKey === undefined && !noImage) {
    problems.push(
      `--public-key-file is required: ${quote(o.arvadosConfig)} has no Containers.DispatchPrivateKey for cluster ${cluster.clusterId} to derive the dispatcher's key from; give the dispatcher's public key, e.g. --public-key-file /etc/arvados/dispatch.pub.`,
    );
  }
  if (cloud === "azure" && !noImage) {
    if (!given.has("azureResourceGroup")) problems.push(missing(flagByKey("azureResourceGroup"), "for Azure"));
  }
  if (cloud === "gcp" && !given.has("gcpProjectId") && !noImage) problems.push(missing(flagByKey("gcpProjectId"), "for GCP"));

  // 6. Files that must exist, and what is in them.
  let publicKeys: PublicKey[] = [];
  if (o.publicKeyFile !== undefined) publicKeys = readPublicKeys(o.publicKeyFile, problems);
  else if (cluster?.dispatchPublicKey !== undefined) {
    const k = cluster.dispatchPublicKey;
    const [type = "", blob = ""] = k.line.split(" ");
    publicKeys = [{ type, blob, comment: `arvados-dispatch-cloud ${cluster.clusterId} (from ${o.arvadosConfig})`, line: `${k.line} arvados-dispatch-cloud ${cluster.clusterId}` }];
    sources.publicKeyFile = "cluster config";
  }
  if (cluster !== undefined && arvadosConfig !== undefined) {
    const cc = arvadosConfig.crossCheck(cluster, {
      ...(o.publicKeyFile !== undefined ? { publicKeyLines: publicKeys.map((k) => k.line) } : {}),
      runtimeEngine: o.runtimeEngine,
      loginUser: o.loginUser,
      nvidia: o.nvidiaGpuSupport,
      awsEbsAutoscale: o.awsEbsAutoscale,
      ...(cloud !== undefined ? { cloud } : {}),
    });
    problems.push(...cc.errors);
    warnings.push(...cc.warnings);
  }
  for (const key of ["gcpAccountFile", "awsSecretsFile", "azureSecretsFile"] as const) {
    const v = o[key];
    if (v !== undefined) {
      const p = checkFile(flagByKey(key), v);
      if (p) problems.push(p);
    }
  }
  const hostsEntries = readHostsEntries(o, problems);
  const mirrors = readMirrors(o, problems);

  // 7. Cross-flag rules.
  ebsRules(o, given, problems);
  rootDeviceRule(o, problems);
  if (!noImage) workdirRule(o, o.sshUser ?? (cloud === "aws" || cloud === undefined ? "admin" : "packer"), problems);
  amiRegionRules(o, problems);
  azureGalleryRules(o, given, problems);
  if (cloud === "azure") azureLocationRule(o, warnings);
  if (given.has("mksquashfsMem") && o.runtimeEngine === "docker") {
    warnings.push(`--mksquashfs-mem ${o.mksquashfsMem} has no effect with --runtime-engine docker (Singularity is not installed).`);
  }
  const baseOs = BASE_OSES[o.baseOs];
  rocmRule(o, baseOs, problems);
  const packer = choosePacker(o.packerVersion, input.detectedPackerVersion, problems, warnings);

  // 8. Secrets files: run only when everything else is right (they may be slow or prompt).
  const secretsFiles: SecretsFile[] = [];
  if (problems.length === 0) {
    for (const key of ["awsSecretsFile", "azureSecretsFile"] as const) {
      const path = o[key];
      if (path === undefined) continue;
      const f = flagByKey(key);
      const r = await runSecretsFile(path);
      if (!r.ok) problems.push(`${flagText(f)} ${quote(path)}: ${r.problem}.`);
      else secretsFiles.push({ flag: flagText(f), path, env: r.env });
    }
    for (const s of secretsFiles) {
      if ("AWS_DEFAULT_REGION" in s.env || "AWS_REGION" in s.env) {
        warnings.push(`${s.flag} exports a region; it is ignored: --aws-region (${o.awsRegion}) decides where the build runs.`);
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  // 9. Inferred values.
  let sshUser = o.sshUser;
  if (sshUser === undefined) {
    // The official images' user on AWS (and on an existing machine); Packer's own on Azure and GCP, which create it.
    sshUser = cloud === "aws" || cloud === undefined ? baseOs.aws.sshUser : "packer";
    sources.sshUser = "inferred";
  }
  let pinPackages = o.pinPackages;
  if (pinPackages === undefined) {
    pinPackages = o.reposuffix !== "-dev";
    sources.pinPackages = "inferred";
  }
  if (o.awsEbsAutoscale) {
    if (o.ebsVolumeIops === undefined && ["gp3", "io1", "io2"].includes(o.ebsVolumeType)) {
      o.ebsVolumeIops = 3000;
      sources.ebsVolumeIops = "inferred";
    }
    if (o.ebsVolumeThroughput === undefined && o.ebsVolumeType === "gp3") {
      o.ebsVolumeThroughput = 125;
      sources.ebsVolumeThroughput = "inferred";
    }
  }
  baseOsImages(
    o,
    baseOs,
    given,
    (key, value) => {
      o[key] = value;
      sources[key] = "inferred";
    },
    cloud,
    warnings,
  );
  const release = chooseRelease(o, pinPackages, given, warnings);
  // baseOsImages filled every BaseOsImageKey in.
  const options = { ...o, sshUser, pinPackages } as ConfigData["options"];
  const command = { name: input.command, ...Object.fromEntries(COMMAND_OPTION_KEYS.map((k) => [k, options[k]])) } as CommandOptions<C>;
  const legacyTemplate = legacyPath !== undefined ? { path: legacyPath, variables: legacyVariables(options, given, release.pins.go) } : undefined;
  return {
    ok: true,
    config: {
      cloud,
      options,
      sources,
      command,
      release,
      baseOs,
      publicKeys,
      hostsEntries,
      mirrors,
      secretsFiles,
      legacyTemplate,
      packer,
      warnings,
      ...(cluster ? { cluster } : {}),
    },
  };
}

function choosePacker(flag: string | undefined, detected: string | undefined, problems: string[], warnings: string[]): ConfigData["packer"] {
  if (flag !== undefined) {
    if (compareVersions(flag, MIN_PACKER) < 0) {
      problems.push(badValue(flagByKey("packerVersion"), flag, `arv-image's HCL2 needs Packer ${MIN_PACKER} or newer`));
    }
    return { version: flag, source: "flag" };
  }
  // A Packer too old to run arv-image's HCL2 is no target to render for (validate and build
  // refuse to run it): render for the default, and say so.
  if (detected !== undefined && compareVersions(detected, MIN_PACKER) < 0) {
    warnings.push(
      `the packer found is ${detected}, older than arv-image's HCL2 needs (${MIN_PACKER}): rendered for Packer ${DEFAULT_PACKER} instead; install a newer Packer, or give the version that will run it with --packer-version.`,
    );
    return { version: DEFAULT_PACKER, source: "default" };
  }
  if (detected !== undefined) return { version: detected, source: "detected" };
  return { version: DEFAULT_PACKER, source: "default" };
}
