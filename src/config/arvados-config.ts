/**
 * Reads the facts arv-image needs from an Arvados cluster configuration file
 * (/etc/arvados/config.yml): the dispatcher's SSH key (as a public key: the private key
 * never leaves this module and never appears in a message), the container engine, the
 * login user, the cloud driver and the instance types; then cross-checks them against
 * the build flags.
 *
 * Like the successor playbook (and unlike arvados-server) this reads the raw file: no
 * defaults are merged in, so a fact the file does not set is undefined here.
 */
import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { parseDocument } from "yaml";
import { fingerprintOfBlob, publicKeyFromPrivate } from "./ssh-private-key.js";

export type RuntimeEngine = "docker" | "singularity";

export interface DispatchPublicKey {
  /** "TYPE BASE64" (no comment). */
  line: string;
  type: string;
  /** "SHA256:…" as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** "inline" when the key is written in config.yml, else the file a file:// URL names. */
  from: "inline" | string;
  /** A passphrase-protected OpenSSH key: the public key is known, but arvados-dispatch-cloud cannot use the key. */
  encrypted: boolean;
}

export interface InstanceTypeFacts {
  name: string;
  providerType?: string;
  includedScratch?: string | number;
  addedScratch?: string | number;
  /** DeviceCount > 0 in CUDA (Arvados < 3.3) or GPU (3.1+): the dispatcher puts GPU containers on it. */
  gpu: boolean;
  /** "cuda" for a CUDA section, GPU.Stack otherwise ("cuda", "rocm"); only when gpu. */
  gpuStack?: string;
}

export interface ArvadosClusterFacts {
  /** The config file read (for messages). */
  configPath: string;
  clusterId: string;
  dispatchPublicKey?: DispatchPublicKey;
  runtimeEngine?: RuntimeEngine;
  adminUsername?: string;
  driver?: string;
  imageId?: string;
  iamInstanceProfile?: string;
  bootProbeCommand?: string;
  instanceTypes: InstanceTypeFacts[];
}

export type ArvadosConfigResult = { ok: true; cluster: ArvadosClusterFacts } | { ok: false; problems: string[] };

const EXAMPLE_CONFIG = "--arvados-config /etc/arvados/config.yml";
const quote = (v: string) => JSON.stringify(v);
/** A config value shown in a message: short, one line. Never used for DispatchPrivateKey. */
const shown = (v: unknown) => {
  const s = typeof v === "string" ? quote(v) : JSON.stringify(v) ?? String(v);
  return s.length > 64 ? s.slice(0, 61) + "..." : s;
};
const kindOf = (v: unknown) =>
  v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a map" : typeof v === "string" ? "a string" : `a ${typeof v}`;
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export function readArvadosConfig(path: string, clusterId: string | undefined): ArvadosConfigResult {
  const cfg = `--arvados-config ${quote(path)}`;
  const fileProblem = (what: string) =>
    `${cfg}: ${what}; expected the Arvados cluster configuration file (YAML with a top-level "Clusters:" map of cluster ids), e.g. ${EXAMPLE_CONFIG}.`;

  // 1. The file and its YAML.
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_CONFIG_BYTES) return { ok: false, problems: [fileProblem(`is ${buf.length} bytes, too large for a configuration file`)] };
    text = buf.toString("utf8");
  } catch (e) {
    return { ok: false, problems: [fileProblem(`cannot be read (${readError(e)})`)] };
  }
  // YAML 1.1 like Go's yaml.v2 (merge keys "<<", yes/no booleans); a repeated key keeps the
  // last value, as in arvados-server (lib/config/load.go does not reject duplicates).
  const doc = parseDocument(text, { prettyErrors: false, version: "1.1", uniqueKeys: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    return { ok: false, problems: [fileProblem(`is not valid YAML (${where(text, err.pos[0])}: ${yamlMessage(err.message)})`)] };
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    return { ok: false, problems: [fileProblem(`is not valid YAML (${yamlMessage(e instanceof Error ? e.message : String(e))})`)] };
  }
  if (!isMap(root) || !("Clusters" in root)) return { ok: false, problems: [fileProblem('has no top-level "Clusters:" map')] };
  const clusters = root["Clusters"];
  if (!isMap(clusters) || Object.keys(clusters).length === 0) {
    return { ok: false, problems: [fileProblem(`has "Clusters:" as ${isMap(clusters) ? "an empty map" : kindOf(clusters)}, not a map of cluster ids`)] };
  }

  // 2. Which cluster.
  const ids = Object.keys(clusters);
  const idList = ids.map((id) => quote(id)).join(", ");
  let id: string;
  if (clusterId !== undefined) {
    if (!Object.hasOwn(clusters, clusterId)) {
      return {
        ok: false,
        problems: [
          `--arvados-cluster-id ${quote(clusterId)}: ${cfg} has no cluster ${quote(clusterId)} under "Clusters:" (it has ${idList}); expected one of the cluster ids in the file, e.g. --arvados-cluster-id ${ids[0]}.`,
        ],
      };
    }
    id = clusterId;
  } else if (ids.length > 1) {
    return {
      ok: false,
      problems: [
        `${cfg} defines ${ids.length} clusters (${idList}) and --arvados-cluster-id is not given; expected --arvados-cluster-id naming the cluster the image is for, e.g. --arvados-cluster-id ${ids[0]}.`,
      ],
    };
  } else {
    id = ids[0]!;
  }

  // 3. The facts. Every problem is collected, not just the first.
  const problems: string[] = [];
  const at = (keys: string[]) => `Clusters.${id}.${keys.join(".")}`;
  const bad = (keys: string[], what: string, expected: string, example: string) =>
    problems.push(`${cfg}: ${at(keys)} ${what}; expected ${expected}, e.g. ${example}.`);
  /** The map at keys, or undefined (absent, or not a map: then a problem). */
  const map = (parent: Record<string, unknown> | undefined, keys: string[], example: string): Record<string, unknown> | undefined => {
    const v = parent?.[keys[keys.length - 1]!];
    if (v === undefined || v === null) return undefined;
    if (isMap(v)) return v;
    bad(keys, `is ${kindOf(v)}`, "a map", example);
    return undefined;
  };
  /** A string setting; numbers and booleans are not accepted (arvados-server would refuse them too). */
  const str = (parent: Record<string, unknown> | undefined, keys: string[], example: string): string | undefined => {
    const v = parent?.[keys[keys.length - 1]!];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") return v === "" ? undefined : v;
    bad(keys, `is ${kindOf(v)} (${shown(v)})`, "a string", example);
    return undefined;
  };

  const cluster = clusters[id];
  if (cluster === null || cluster === undefined) return { ok: true, cluster: { configPath: path, clusterId: id, instanceTypes: [] } };
  if (!isMap(cluster)) return { ok: false, problems: [fileProblem(`has Clusters.${id} as ${kindOf(cluster)}, not a map of settings`)] };
  const containers = map(cluster, ["Containers"], "Containers: {RuntimeEngine: docker}");
  const cloudVMs = map(containers, ["Containers", "CloudVMs"], "CloudVMs: {Driver: ec2, ImageID: ami-0123456789abcdef0}");
  const driverParams = map(cloudVMs, ["Containers", "CloudVMs", "DriverParameters"], "DriverParameters: {AdminUsername: crunch}");

  const facts: ArvadosClusterFacts = { configPath: path, clusterId: id, instanceTypes: [] };

  const engine = str(containers, ["Containers", "RuntimeEngine"], "RuntimeEngine: docker");
  if (engine === "docker" || engine === "singularity") facts.runtimeEngine = engine;
  else if (engine !== undefined) bad(["Containers", "RuntimeEngine"], `is ${shown(engine)}`, '"docker" or "singularity"', "RuntimeEngine: singularity");

  const key = dispatchKey(containers?.["DispatchPrivateKey"], (what, hint) =>
    problems.push(
      `${cfg}: ${at(["Containers", "DispatchPrivateKey"])} ${what}; expected an unencrypted OpenSSH or PEM private key written inline ` +
        `(a literal block "DispatchPrivateKey: |" followed by the indented key) or a file:// URL with an absolute path, ` +
        `e.g. DispatchPrivateKey: "file:///etc/arvados/dispatch-cloud.key"${hint ? ` (${hint})` : ""}.`,
    ),
  );
  if (key) facts.dispatchPublicKey = key;

  const assign = <K extends keyof ArvadosClusterFacts>(k: K, v: ArvadosClusterFacts[K] | undefined) => {
    if (v !== undefined) facts[k] = v;
  };
  assign("driver", str(cloudVMs, ["Containers", "CloudVMs", "Driver"], "Driver: ec2"));
  assign("imageId", str(cloudVMs, ["Containers", "CloudVMs", "ImageID"], "ImageID: ami-0123456789abcdef0"));
  assign("bootProbeCommand", str(cloudVMs, ["Containers", "CloudVMs", "BootProbeCommand"], 'BootProbeCommand: "systemctl is-system-running"'));
  assign("adminUsername", str(driverParams, ["Containers", "CloudVMs", "DriverParameters", "AdminUsername"], "AdminUsername: crunch"));
  assign(
    "iamInstanceProfile",
    str(driverParams, ["Containers", "CloudVMs", "DriverParameters", "IAMInstanceProfile"], "IAMInstanceProfile: arvados-compute-ebs-autoscale"),
  );

  facts.instanceTypes = instanceTypes(cluster["InstanceTypes"], (keys, what, expected, example) => bad(["InstanceTypes", ...keys], what, expected, example));

  return problems.length > 0 ? { ok: false, problems } : { ok: true, cluster: facts };
}

/** The public half of Containers.DispatchPrivateKey. `problem` never gets the value (it may be the key). */
function dispatchKey(value: unknown, problem: (what: string, hint?: string) => void): DispatchPublicKey | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") {
    problem(`is ${kindOf(value)}`);
    return undefined;
  }
  let text = value;
  let from = "inline";
  const oneLine = !/[\r\n]/.test(value) && value.length <= 4096;
  if (oneLine && value.startsWith("file://")) {
    // Arvados strips the prefix: file:///etc/arvados/key names /etc/arvados/key.
    const file = value.slice("file://".length);
    if (!isAbsolute(file)) {
      problem(
        `is ${shown(value)}, a file:// URL without an absolute path`,
        file.startsWith("~") ? "~ is not expanded" : 'the path after "file://" must start with "/", so the URL has three slashes',
      );
      return undefined;
    }
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      problem(`is ${shown(value)}, and that file cannot be read (${readError(e)})`);
      return undefined;
    }
    from = file;
  } else if (oneLine && /^(\/|~\/|\.\.?\/)[^\s]*$/.test(value)) {
    // A bare path is a common mistake; it cannot be key material (no "-----BEGIN").
    problem(`is ${shown(value)}, a file name without "file://"`, `write it as "file://${value.startsWith("/") ? value : "/absolute/path"}"`);
    return undefined;
  }
  const derived = publicKeyFromPrivate(text);
  if (!derived.ok) {
    problem(from === "inline" ? derived.problem : `names ${quote(from)}, which ${derived.problem}`);
    return undefined;
  }
  return { line: derived.line, type: derived.type, fingerprint: derived.fingerprint, from, encrypted: derived.encrypted };
}

type Bad = (keys: string[], what: string, expected: string, example: string) => void;

/** InstanceTypes: a map of name → settings, or (older configs) a list of settings with Name. */
function instanceTypes(value: unknown, bad: Bad): InstanceTypeFacts[] {
  if (value === undefined || value === null) return [];
  let entries: [string, unknown][];
  if (isMap(value)) entries = Object.entries(value);
  else if (Array.isArray(value)) {
    entries = [];
    for (const [i, v] of value.entries()) {
      const name = isMap(v) ? v["Name"] : undefined;
      if (typeof name !== "string" || name === "") bad([String(i)], "has no Name", "a Name for every entry of an InstanceTypes list", "- Name: m5.large");
      else entries.push([name, v]);
    }
  } else {
    bad([], `is ${kindOf(value)}`, "a map of instance type names to their settings", "InstanceTypes: {m5.large: {ProviderType: m5.large, VCPUs: 2, RAM: 8GiB}}");
    return [];
  }
  const out: InstanceTypeFacts[] = [];
  for (const [name, v] of entries) {
    if (name === "SAMPLE") continue;
    if (!isMap(v)) {
      if (v !== null) bad([name], `is ${kindOf(v)}`, "a map of settings", `${name}: {ProviderType: ${name}, VCPUs: 2, RAM: 8GiB}`);
      continue;
    }
    const t: InstanceTypeFacts = { name, gpu: false };
    const pt = v["ProviderType"];
    if (typeof pt === "string" && pt !== "") t.providerType = pt;
    else if (pt !== undefined && pt !== null && pt !== "") bad([name, "ProviderType"], `is ${kindOf(pt)}`, "a string", "ProviderType: m5.large");
    for (const [k, field] of [["IncludedScratch", "includedScratch"], ["AddedScratch", "addedScratch"]] as const) {
      const s = v[k];
      if (typeof s === "string" || typeof s === "number") t[field] = s;
      else if (s !== undefined && s !== null) bad([name, k], `is ${kindOf(s)}`, "a size", `${k}: 50GB`);
    }
    for (const section of ["CUDA", "GPU"] as const) {
      const g = v[section];
      if (g === undefined || g === null) continue;
      if (!isMap(g)) {
        bad([name, section], `is ${kindOf(g)}`, "a map", `${section}: {DeviceCount: 1, DriverVersion: "12.0"}`);
        continue;
      }
      const count = g["DeviceCount"];
      const n = typeof count === "number" ? count : typeof count === "string" && /^\d+$/.test(count.trim()) ? Number(count) : undefined;
      if (count !== undefined && count !== null && n === undefined) {
        bad([name, section, "DeviceCount"], `is ${shown(count)}`, "a whole number", "DeviceCount: 1");
      } else if (n !== undefined && n > 0) {
        t.gpu = true;
        const stack = section === "CUDA" ? "cuda" : typeof g["Stack"] === "string" && g["Stack"] !== "" ? g["Stack"].toLowerCase() : "cuda";
        t.gpuStack = stack;
      }
    }
    out.push(t);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

export interface CrossCheckOptions {
  /** The lines of --public-key-file, if given. */
  publicKeyLines?: string[];
  /** --runtime-engine: docker, singularity or both. */
  runtimeEngine: string;
  /** --login-user. */
  loginUser: string;
  nvidia: boolean;
  awsEbsAutoscale: boolean;
  cloud?: string;
}

const DRIVER_CLOUD: Record<string, string> = { ec2: "aws", azure: "azure" };

/** Does the config agree with the build flags? Errors would leave the image unusable by the dispatcher. */
export function crossCheck(facts: ArvadosClusterFacts, opts: CrossCheckOptions): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const cfg = `--arvados-config ${quote(facts.configPath)}`;
  const at = (path: string) => `Clusters.${facts.clusterId}.${path}`;
  const key = facts.dispatchPublicKey;

  // The dispatcher's key must be in the login user's authorized_keys.
  if (key && opts.publicKeyLines !== undefined) {
    const fileKeys = opts.publicKeyLines.map(parseKeyLine).filter((k) => k !== undefined);
    const wanted = key.line;
    if (!fileKeys.some((k) => `${k.type} ${k.blob}` === wanted)) {
      const held = fileKeys.length === 0 ? "no key" : fileKeys.map((k) => `${k.fingerprint} (${k.type})`).join(", ");
      errors.push(
        `--public-key-file does not hold arvados-dispatch-cloud's key: ${at("Containers.DispatchPrivateKey")} in ${cfg} ` +
          `(${key.from === "inline" ? "inline" : `file ${quote(key.from)}`}) has public key ${key.fingerprint} (${key.type}), ` +
          `but the file holds ${held}; the dispatcher could not log in to nodes booted from this image. ` +
          `Add this line to the file: ${wanted}`,
      );
    }
  }
  if (key?.encrypted) {
    warnings.push(
      `${at("Containers.DispatchPrivateKey")} in ${cfg} is protected by a passphrase: arv-image can read its public key, ` +
        `but arvados-dispatch-cloud cannot use the key and will not start. Remove the passphrase (ssh-keygen -p -N '' -f KEY).`,
    );
  }

  // Container engine.
  const configEngine = facts.runtimeEngine ?? "docker";
  const engineSource = facts.runtimeEngine ? `${at("Containers.RuntimeEngine")} is ${configEngine}` : `${at("Containers.RuntimeEngine")} is not set (Arvados' default is docker)`;
  if ((opts.runtimeEngine === "docker" || opts.runtimeEngine === "singularity") && opts.runtimeEngine !== configEngine) {
    warnings.push(
      `--runtime-engine ${opts.runtimeEngine} does not install ${configEngine}, but ${engineSource} in ${cfg}: containers would fail on nodes ` +
        `booted from this image. Use --runtime-engine ${configEngine} (or both).`,
    );
  }
  const probe = facts.bootProbeCommand;
  if (probe !== undefined) {
    const missing = opts.runtimeEngine === "singularity" ? "docker" : opts.runtimeEngine === "docker" ? "singularity" : undefined;
    if (missing && new RegExp(`\\b${missing}\\b`).test(probe)) {
      warnings.push(
        `${at("Containers.CloudVMs.BootProbeCommand")} in ${cfg} (${shown(probe)}) uses ${missing}, which --runtime-engine ${opts.runtimeEngine} does not install: ` +
          `the boot probe would fail on every node, and the dispatcher shuts nodes down after TimeoutBooting. ` +
          `Change the probe (e.g. "systemctl is-system-running") or use --runtime-engine both.`,
      );
    }
  }

  // Login user.
  if (facts.adminUsername !== undefined && facts.adminUsername !== opts.loginUser) {
    warnings.push(
      `--login-user ${opts.loginUser} differs from ${at("Containers.CloudVMs.DriverParameters.AdminUsername")} (${facts.adminUsername}) in ${cfg}: ` +
        `the dispatcher logs in as ${facts.adminUsername}. Use --login-user ${facts.adminUsername}, or change AdminUsername.`,
    );
  }

  // Cloud.
  if (facts.driver !== undefined && opts.cloud !== undefined) {
    const driverCloud = DRIVER_CLOUD[facts.driver];
    if (driverCloud !== undefined && driverCloud !== opts.cloud) {
      warnings.push(
        `--cloud ${opts.cloud} does not match ${at("Containers.CloudVMs.Driver")} (${facts.driver}) in ${cfg}: ` +
          `the dispatcher starts nodes on ${driverCloud === "aws" ? "AWS (ec2)" : "Azure"}, so it cannot use this image.`,
      );
    }
  }

  // EBS autoscaler.
  if (opts.awsEbsAutoscale) {
    if (facts.iamInstanceProfile === undefined) {
      warnings.push(
        `--aws-ebs-autoscale: ${at("Containers.CloudVMs.DriverParameters.IAMInstanceProfile")} is not set in ${cfg}; the autoscaler on each node ` +
          `needs an instance profile whose role may create, attach, tag and delete EBS volumes (ec2:CreateVolume, AttachVolume, DeleteVolume, ` +
          `CreateTags, DescribeVolumes, DescribeVolumeStatus, DescribeVolumeAttribute, DescribeTags, ModifyInstanceAttribute), otherwise /tmp never grows.`,
      );
    }
    const added = facts.instanceTypes.filter((t) => t.addedScratch !== undefined && !isZeroSize(t.addedScratch)).map((t) => t.name);
    if (added.length > 0) {
      warnings.push(
        `--aws-ebs-autoscale: instance types ${added.join(", ")} in ${cfg} still set AddedScratch, so the dispatcher would attach scratch disks ` +
          `the autoscaler does not use. With the autoscaler, remove AddedScratch and set IncludedScratch (e.g. IncludedScratch: 5TB) on every instance type.`,
      );
    }
  }

  // GPUs.
  const cudaTypes = facts.instanceTypes.filter((t) => t.gpu && t.gpuStack === "cuda").map((t) => t.name);
  const otherGpuTypes = facts.instanceTypes.filter((t) => t.gpu && t.gpuStack !== "cuda");
  if (opts.nvidia && cudaTypes.length === 0) {
    const other = otherGpuTypes.length > 0 ? ` (${otherGpuTypes.map((t) => `${t.name} uses GPU.Stack ${t.gpuStack}`).join(", ")}, which NVIDIA drivers do not serve)` : "";
    warnings.push(
      `--nvidia-gpu-support, but no instance type in ${cfg} (cluster ${facts.clusterId}) has an NVIDIA GPU (CUDA or GPU with DeviceCount > 0)${other}: ` +
        `the CUDA packages would only make the image larger. Add CUDA/GPU settings to the GPU instance types, or leave out --nvidia-gpu-support.`,
    );
  }
  if (!opts.nvidia && cudaTypes.length > 0) {
    warnings.push(
      `Instance types ${cudaTypes.join(", ")} in ${cfg} have NVIDIA GPUs (CUDA/GPU DeviceCount > 0), but --nvidia-gpu-support is not given: ` +
        `GPU containers would fail on nodes booted from this image. Add --nvidia-gpu-support.`,
    );
  }

  return { errors, warnings };
}

/** One authorized_keys line → type, blob, fingerprint (options before the key type are skipped). */
function parseKeyLine(line: string): { type: string; blob: string; fingerprint: string } | undefined {
  const t = line.trim();
  if (t === "" || t.startsWith("#")) return undefined;
  const tokens = t.split(/\s+/);
  for (let i = 0; i + 1 < tokens.length; i++) {
    const type = tokens[i]!;
    const blob = tokens[i + 1]!;
    if (/^(ssh-|ecdsa-|sk-)/.test(type) && /^[A-Za-z0-9+/]+={0,2}$/.test(blob)) {
      return { type, blob, fingerprint: fingerprintOfBlob(Buffer.from(blob, "base64")) };
    }
  }
  return undefined;
}

/** 0, "0", "0GB", "0 GiB"… (Arvados ByteSize). */
function isZeroSize(v: string | number): boolean {
  return typeof v === "number" ? v === 0 : /^\s*0*(\.0*)?\s*[A-Za-z]*\s*$/.test(v) && !/[1-9]/.test(v);
}

function readError(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied; run as a user that can read it, e.g. with sudo, or copy it";
    case "EISDIR":
      return "it is a directory";
    default:
      return typeof code === "string" ? code : "read error";
  }
}

/** "line L, column C" of an offset. */
function where(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split("\n").length;
  const col = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${col}`;
}

/** A YAML parser message, first line only, with anything that could be quoted key data cut out. */
function yamlMessage(message: string): string {
  return (message.split("\n")[0] ?? "").replace(/[A-Za-z0-9+/=]{20,}/g, "…").slice(0, 160);
}
