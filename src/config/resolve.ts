/**
 * Flags → resolved configuration. Collects every problem and returns them all;
 * never throws for bad input. Reads files, never writes.
 */
import { constants, accessSync, readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { CLOUDS, FLAGS, type Cloud, type FlagDef, flagByKey } from "./flags.js";
import { optionsSchema, type OptionKey, type Options } from "./schema.js";
import { parseHostsEntry } from "./values.js";
import { parsePublicKeys, type PublicKey } from "./ssh-key.js";
import { runSecretsFile } from "./secrets-file.js";
import { MIRRORS, type UrlKey } from "../releases/versions.js";
import type { ArvadosClusterFacts } from "./arvados-config.js";
import { legacyVariables } from "./legacy.js";

export type Source = "default" | "flag" | "inferred" | "detected" | "secrets file" | "cluster config";

export const STOCK_TEMPLATES: Readonly<Record<string, Cloud>> = {
  "arvados-images-aws.json": "aws",
  "arvados-images-azure.json": "azure",
};

/** Oldest Packer whose HCL2 handles what arv-image renders (Debian 12/13 ship 1.6.6). */
export const MIN_PACKER = "1.6.6";
/** Rendered for when no packer is found and no --packer-version is given. */
export const DEFAULT_PACKER = "1.11.2";

export interface HostsEntry {
  ip: string;
  names: string[];
}

export interface SecretsFile {
  flag: string;
  path: string;
  env: Record<string, string>;
}

export interface ResolvedConfig {
  /** undefined only for a legacy JSON template with no cloud flags. */
  cloud: Cloud | undefined;
  options: Options & { sshUser: string; pinPackages: boolean };
  sources: Partial<Record<OptionKey, Source>>;
  publicKeys: PublicKey[];
  hostsEntries: HostsEntry[];
  /** --arvados-config: what the cluster's config.yml says. */
  cluster?: ArvadosClusterFacts;
  /** --mirror: public download locations replaced, by URLS key. */
  mirrors: Partial<Record<UrlKey, string>>;
  secretsFiles: SecretsFile[];
  /** A non-stock --json-file: run as is by `build`, with build.sh's variables. */
  legacyTemplate?: { path: string; variables: [string, string][] };
  packer: { version: string; source: Source };
  warnings: string[];
}

export interface ResolveInput {
  /** What commander parsed: only the flags that were given. */
  raw: Record<string, unknown>;
  /** `packer version` output parsed by the caller, if packer is on PATH. */
  detectedPackerVersion?: string | undefined;
  /** provision: no cloud is needed (an existing machine). */
  cloudOptional?: boolean;
  /** gc: an account to sweep, not an image to build (no cluster id or key needed). */
  noImage?: boolean;
}

export type ResolveResult = { ok: true; config: ResolvedConfig } | { ok: false; problems: string[] };

const flagText = (f: FlagDef) => `--${f.name}`;
const quote = (v: unknown) => JSON.stringify(String(v));

/** The one-paragraph message for a value that does not fit its flag. */
export function badValue(f: FlagDef, value: unknown, detail?: string): string {
  const why = detail ? `${detail}; expected` : "expected";
  return `${flagText(f)} ${quote(value)}: ${why} ${f.expect ?? "a valid value"}, e.g. ${flagText(f)} ${f.example ?? ""}.`.replace(/ \.$/, ".");
}

function missing(f: FlagDef, context: string): string {
  return `${flagText(f)} is required ${context}: ${f.expect ?? "a value"}, e.g. ${flagText(f)} ${f.example ?? ""}.`;
}

export async function resolveConfig(input: ResolveInput): Promise<ResolveResult> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const raw = input.raw;
  const given = new Set(Object.keys(raw).filter((k) => raw[k] !== undefined));

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
      problems.push(badValue(flagByKey(key), Array.isArray(value) ? value[Number(issue.path[1] ?? 0)] : value));
    }
    parsed = optionsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([k]) => !bad.has(k))));
    if (!parsed.success) return { ok: false, problems };
  }
  const o = parsed.data;
  const sources: Partial<Record<OptionKey, Source>> = {};
  for (const key of Object.keys(o) as OptionKey[]) {
    if (given.has(key)) sources[key] = "flag";
    else if (o[key] !== undefined && !(Array.isArray(o[key]) && o[key].length === 0)) sources[key] = "default";
  }

  // 2. Which cloud.
  const cloud = chooseCloud(o, given, input.cloudOptional === true ? [] : problems);

  // 3. The legacy JSON pass-through.
  let legacyTemplate: ResolvedConfig["legacyTemplate"];
  if (o.jsonFile !== undefined && !(basename(o.jsonFile) in STOCK_TEMPLATES)) {
    const p = checkFile(flagByKey("jsonFile"), o.jsonFile);
    if (p) problems.push(p);
    else legacyTemplate = { path: o.jsonFile, variables: [] };
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
  if (!given.has("arvadosClusterId") && o.arvadosClusterId === undefined && input.noImage !== true && o.arvadosConfig === undefined) problems.push(missing(flagByKey("arvadosClusterId"), "for every build"));
  if (!given.has("publicKeyFile") && cluster?.dispatchPublicKey === undefined && input.noImage !== true && o.arvadosConfig === undefined) {
    problems.push(missing(flagByKey("publicKeyFile"), "for every build (or --arvados-config with Containers.DispatchPrivateKey)"));
  } else if (!given.has("publicKeyFile") && o.arvadosConfig !== undefined && cluster !== undefined && cluster.dispatchPublicKey === undefined && input.noImage !== true) {
    problems.push(`--public-key-file is required: ${o.arvadosConfig} has no Containers.DispatchPrivateKey for cluster ${cluster.clusterId} to derive the dispatcher's key from; give the dispatcher's public key, e.g. --public-key-file /etc/arvados/dispatch.pub.`);
  }
  if (cloud === "azure" && input.noImage !== true) {
    if (!given.has("azureResourceGroup")) problems.push(missing(flagByKey("azureResourceGroup"), "for Azure"));
    if (!given.has("azureSku")) problems.push(missing(flagByKey("azureSku"), "for Azure"));
  }
  if (cloud === "gcp" && !given.has("gcpProjectId") && input.noImage !== true) problems.push(missing(flagByKey("gcpProjectId"), "for GCP"));

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

  // 6. Cross-flag rules.
  ebsRules(o, given, problems);
  amiRegionRules(o, problems);
  if (given.has("mksquashfsMem") && o.runtimeEngine === "docker") {
    warnings.push(`--mksquashfs-mem ${o.mksquashfsMem} has no effect with --runtime-engine docker (Singularity is not installed).`);
  }
  const packer = choosePacker(o.packerVersion, input.detectedPackerVersion, problems);

  // 7. Secrets files: run only when everything else is right (they may be slow or prompt).
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

  // 8. Inferred values.
  let sshUser = o.sshUser;
  if (sshUser === undefined) {
    sshUser = cloud === "aws" || cloud === undefined ? "admin" : "packer";
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
  const options = { ...o, sshUser, pinPackages };
  if (legacyTemplate) legacyTemplate.variables = legacyVariables(options, given);
  return {
    ok: true,
    config: { cloud, options, sources, publicKeys, hostsEntries, mirrors, secretsFiles, legacyTemplate, packer, warnings, ...(cluster ? { cluster } : {}) },
  };
}

function chooseCloud(o: Options, given: Set<string>, problems: string[]): Cloud | undefined {
  const byCloud = new Map<Cloud, string[]>();
  for (const f of FLAGS) {
    if (!f.cloud || !given.has(f.key)) continue;
    // The transitional --no-aws-ebs-autoscale asks for nothing AWS-specific.
    if (f.kind === "negatable" && o[f.key as OptionKey] === false) continue;
    byCloud.set(f.cloud, [...(byCloud.get(f.cloud) ?? []), flagText(f)]);
  }
  const jsonCloud = o.jsonFile !== undefined ? STOCK_TEMPLATES[basename(o.jsonFile)] : undefined;
  const named = o.cloud ?? jsonCloud;
  const why = o.cloud !== undefined ? `--cloud ${o.cloud}` : `--json-file ${basename(o.jsonFile ?? "")}`;
  if (o.cloud !== undefined && jsonCloud !== undefined && o.cloud !== jsonCloud) {
    problems.push(`--cloud ${o.cloud} and --json-file ${quote(o.jsonFile)} disagree: that stock template builds for ${jsonCloud}. Drop --json-file (with --cloud it is not needed) or give --cloud ${jsonCloud}.`);
    return undefined;
  }
  if (named !== undefined) {
    const foreign = [...byCloud].filter(([c]) => c !== named);
    if (foreign.length > 0) {
      const list = foreign.map(([c, fl]) => `${fl.join(", ")} (${c})`).join("; ");
      const n = foreign.reduce((sum, [, fl]) => sum + fl.length, 0);
      problems.push(`${why} builds for ${named}, but ${list} ${n === 1 ? "belongs" : "belong"} to another cloud. One build targets one cloud: drop those flags, or choose the cloud they belong to.`);
    }
    return named;
  }
  if (byCloud.size > 1) {
    const list = [...byCloud].map(([c, fl]) => `${c}: ${fl.join(", ")}`).join("; ");
    problems.push(`Flags of more than one cloud were given (${list}). One build targets one cloud: keep one cloud's flags, and name it with --cloud aws|azure|gcp.`);
    return undefined;
  }
  const [only] = byCloud.keys();
  if (only !== undefined) return only;
  if (o.jsonFile !== undefined) return undefined; // legacy template, no cloud flags
  problems.push(`No cloud was chosen: give --cloud ${CLOUDS.join("|")} (or build.sh's --json-file arvados-images-aws.json), e.g. --cloud aws.`);
  return undefined;
}

function checkFile(f: FlagDef, path: string): string | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile()) return badValue(f, path, "not a regular file");
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return badValue(f, path, code === "ENOENT" ? "no such file" : code === "EACCES" ? "not readable" : `cannot read it (${code})`);
  }
}

function readPublicKeys(path: string, problems: string[]): PublicKey[] {
  const f = flagByKey("publicKeyFile");
  const p = checkFile(f, path);
  if (p) {
    problems.push(p);
    return [];
  }
  const r = parsePublicKeys(readFileSync(path, "utf8"));
  if (r.ok) return r.keys;
  if (r.privateKey) {
    problems.push(`--public-key-file ${quote(path)}: this is a PRIVATE key, and arv-image never uploads one. Give the dispatcher's PUBLIC key instead, e.g. --public-key-file ${quote(path.endsWith(".pub") ? path : path + ".pub")} (make it with: ssh-keygen -y -f ${path} > ${path}.pub).`);
  } else {
    problems.push(badValue(f, path, r.problem));
  }
  return [];
}

// A URL the scripts can put in a deb822 source and pass to curl as one word.
const MIRROR_URL = /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~%!$&*+,;=:@\/-]*)?$/;

function readMirrors(o: Options, problems: string[]): Partial<Record<UrlKey, string>> {
  const f = flagByKey("mirror");
  const mirrors: Partial<Record<UrlKey, string>> = {};
  const seen = new Set<string>();
  for (const item of o.mirror) {
    const eq = item.indexOf("=");
    const name = eq === -1 ? item : item.slice(0, eq);
    const url = eq === -1 ? "" : item.slice(eq + 1);
    const m = MIRRORS.find((x) => x.name === name);
    if (!m) problems.push(badValue(f, item, `"${name}" is not a source arv-image downloads from`));
    else if (!MIRROR_URL.test(url)) problems.push(badValue(f, item, `"${url}" is not an http:// or https:// URL without spaces or quotes`));
    else if (seen.has(name)) problems.push(badValue(f, item, `${name} is given twice`));
    else {
      seen.add(name);
      mirrors[m.key] = url.replace(/\/+$/, "");
    }
  }
  return mirrors;
}

function readHostsEntries(o: Options, problems: string[]): HostsEntry[] {
  const entries: HostsEntry[] = [];
  const f = flagByKey("hostsEntry");
  for (const line of o.hostsEntry) {
    const r = parseHostsEntry(line);
    if ("error" in r) problems.push(badValue(f, line, r.error));
    else entries.push(r);
  }
  if (o.hostsFile !== undefined) {
    const ff = flagByKey("hostsFile");
    const p = checkFile(ff, o.hostsFile);
    if (p) problems.push(p);
    else {
      for (const [i, raw] of readFileSync(o.hostsFile, "utf8").split(/\r?\n/).entries()) {
        const line = raw.replace(/#.*/, "").trim();
        if (line === "") continue;
        const r = parseHostsEntry(line);
        if ("error" in r) problems.push(badValue(ff, o.hostsFile, `line ${i + 1}: ${r.error}`));
        else entries.push(r);
      }
    }
  }
  return entries;
}

function amiRegionRules(o: Options, problems: string[]): void {
  const regions = o.awsAmiRegions;
  if (regions === undefined) return;
  const f = flagByKey("awsAmiRegions");
  if (regions.includes(o.awsRegion)) problems.push(badValue(f, regions.join(","), `${o.awsRegion} is --aws-region, where the AMI is built anyway`));
  else if (new Set(regions).size !== regions.length) problems.push(badValue(f, regions.join(","), "a region is listed twice"));
}

function ebsRules(o: Options, given: Set<string>, problems: string[]): void {
  const ebsFlags = FLAGS.filter((f) => f.group === "ebs" && f.key !== "awsEbsAutoscale" && given.has(f.key));
  if (!o.awsEbsAutoscale) {
    if (ebsFlags.length > 0) {
      problems.push(`${ebsFlags.map(flagText).join(", ")} ${ebsFlags.length > 1 ? "configure" : "configures"} the EBS autoscaler, which is only installed with --aws-ebs-autoscale. Add --aws-ebs-autoscale, or drop ${ebsFlags.length > 1 ? "them" : "it"}.`);
    }
    return;
  }
  const type = o.ebsVolumeType;
  if (o.ebsVolumeIops !== undefined) {
    const f = flagByKey("ebsVolumeIops");
    if (type === "gp3" && (o.ebsVolumeIops < 3000 || o.ebsVolumeIops > 16000)) problems.push(badValue(f, o.ebsVolumeIops, "gp3 volumes take 3000–16000 IOPS"));
    if (!["gp3", "io1", "io2"].includes(type)) problems.push(badValue(f, o.ebsVolumeIops, `${type} volumes have no provisioned IOPS (only gp3, io1, io2 do)`));
  }
  if (o.ebsVolumeThroughput !== undefined && type !== "gp3") {
    problems.push(badValue(flagByKey("ebsVolumeThroughput"), o.ebsVolumeThroughput, `throughput is only set on gp3 volumes, not ${type}`));
  } else if (o.ebsVolumeThroughput !== undefined && type === "gp3") {
    // EC2 refuses a gp3 volume with more than 0.25 MiB/s per provisioned IOPS (CreateVolume fails at boot).
    const iops = o.ebsVolumeIops ?? 3000;
    if (o.ebsVolumeThroughput > iops / 4) {
      problems.push(badValue(flagByKey("ebsVolumeThroughput"), o.ebsVolumeThroughput, `gp3 allows at most 0.25 MiB/s per IOPS, so ${Math.floor(iops / 4)} with ${iops} IOPS; raise --ebs-volume-iops to ${o.ebsVolumeThroughput * 4} or more`));
    }
  }
  if (o.ebsMaxLogicalSize < o.ebsMaxVolumeSize) {
    problems.push(badValue(flagByKey("ebsMaxLogicalSize"), o.ebsMaxLogicalSize, `smaller than --ebs-max-volume-size ${o.ebsMaxVolumeSize}`));
  }
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function choosePacker(flag: string | undefined, detected: string | undefined, problems: string[]): ResolvedConfig["packer"] {
  if (flag !== undefined) {
    if (compareVersions(flag, MIN_PACKER) < 0) {
      problems.push(badValue(flagByKey("packerVersion"), flag, `arv-image's HCL2 needs Packer ${MIN_PACKER} or newer`));
    }
    return { version: flag, source: "flag" };
  }
  if (detected !== undefined) return { version: detected, source: "detected" };
  return { version: DEFAULT_PACKER, source: "default" };
}
