/**
 * Reads the facts arv-image needs from an Arvados cluster configuration file
 * (/etc/arvados/config.yml): the dispatcher's SSH key (as a public key: the private key
 * never leaves this module and never appears in a message), the container engine, the
 * login user, the cloud driver and the instance types; then cross-checks them against
 * the build flags. (The cross-check is arvados-cross-check.ts.)
 *
 * Like the successor playbook (and unlike arvados-server) this reads the raw file: no
 * defaults are merged in, so a fact the file does not set is undefined here.
 */
import { isAbsolute } from "node:path";
import { parseDocument } from "yaml";
import { isMap, kindOf, quote, shown, type ArvadosClusterFacts, type ArvadosConfigResult, type DispatchPublicKey, type InstanceTypeFacts } from "./arvados-facts.js";
import { publicKeyFromPrivate } from "./ssh-private-key.js";
import { LIMITS, readUserFile } from "./read-file.js";
import { flagByKey } from "./flags.js";
import { CONTROL } from "./messages.js";
import type { OptionKey } from "./schema.js";

export type * from "./arvados-facts.js";
export { crossCheck, type CrossCheckOptions } from "./arvados-cross-check.js";

const EXAMPLE_CONFIG = "--arvados-config /etc/arvados/config.yml";

export function readArvadosConfig(path: string, clusterId: string | undefined): ArvadosConfigResult {
  const cfg = `--arvados-config ${quote(path)}`;
  const fileProblem = (what: string) =>
    `${cfg}: ${what}; expected the Arvados cluster configuration file (YAML with a top-level "Clusters:" map of cluster ids), e.g. ${EXAMPLE_CONFIG}.`;
  // 1. The file and its YAML.
  const read = readUserFile(path, LIMITS.config);
  if (!read.ok) return { ok: false, problems: [fileProblem(`cannot be read (${read.problem})`)] };
  const text = read.data.toString("utf8");
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
  const idFlag = flagByKey("arvadosClusterId");
  const exampleId = ids.find((i) => idFlag.type.safeParse(i).success) ?? idFlag.example ?? "zzzzz";
  let id: string;
  if (clusterId !== undefined) {
    if (!Object.hasOwn(clusters, clusterId)) {
      return {
        ok: false,
        problems: [
          `--arvados-cluster-id ${quote(clusterId)}: ${cfg} has no cluster ${quote(clusterId)} under "Clusters:" (it has ${idList}); expected one of the cluster ids in the file, e.g. --arvados-cluster-id ${exampleId}.`,
        ],
      };
    }
    id = clusterId;
  } else if (ids.length > 1) {
    return {
      ok: false,
      problems: [
        `${cfg} defines ${ids.length} clusters (${idList}) and --arvados-cluster-id is not given; expected --arvados-cluster-id naming the cluster the image is for, e.g. --arvados-cluster-id ${exampleId}.`,
      ],
    };
  } else {
    id = ids[0]!;
  }
  // The file's cluster id stands for --arvados-cluster-id and goes where it goes (image
  // names, tags, authorized_keys comments, --emit-config): the same check as the flag's.
  if (!idFlag.type.safeParse(id).success) {
    return {
      ok: false,
      problems: [`${cfg}: Clusters key ${quote(id)}: expected a cluster id of ${idFlag.expect} (as for --arvados-cluster-id), e.g. Clusters: {${exampleId}: …}.`],
    };
  }
  // 3. The facts. Every problem is collected, not just the first.
  const problems: string[] = [];
  // A key that is not a plain name (an instance type name may be anything) is shown quoted.
  const at = (keys: string[]) => `Clusters.${id}.${keys.map((k) => (/^[A-Za-z0-9_.+-]+$/.test(k) ? k : quote(k))).join(".")}`;
  const bad = (keys: string[], what: string, expected: string, example: string) => problems.push(`${cfg}: ${at(keys)} ${what}; expected ${expected}, e.g. ${example}.`);
  /** The map at keys, or undefined (absent, or not a map: then a problem). */
  const map = (parent: Record<string, unknown> | undefined, keys: string[], example: string): Record<string, unknown> | undefined => {
    const v = parent?.[keys[keys.length - 1]!];
    if (v === undefined || v === null) return undefined;
    if (isMap(v)) return v;
    bad(keys, `is ${kindOf(v)}`, "a map", example);
    return undefined;
  };
  /** A string setting; numbers and booleans are not accepted (arvados-server would refuse them too). */
  const str = (parent: Record<string, unknown> | undefined, keys: string[], example: string, standsFor?: OptionKey): string | undefined => {
    const v = parent?.[keys[keys.length - 1]!];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") {
      if (standsFor !== undefined) return v === "" ? undefined : asFlag(v, keys, standsFor);
      if (CONTROL.test(v) || !v.isWellFormed()) {
        bad(keys, `is ${shown(v)}, with a control character or a lone surrogate`, "a string without control characters (newline, escape…)", example);
        return undefined;
      }
      return v === "" ? undefined : v;
    }
    bad(keys, `is ${kindOf(v)} (${shown(v)})`, "a string", example);
    return undefined;
  };
  /** A setting that stands for a flag: the flag row's own type decides, and the message says which flag. */
  const asFlag = (v: string, keys: string[], key: OptionKey): string | undefined => {
    const f = flagByKey(key);
    if (f.type.safeParse(v).success) return v;
    problems.push(`${cfg}: ${at(keys)} ${shown(v)}: expected ${f.expect ?? "a valid value"} (as for --${f.name}), e.g. ${keys[keys.length - 1]}: ${f.example ?? ""}.`);
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
  const adminKeys = ["Containers", "CloudVMs", "DriverParameters", "AdminUsername"];
  assign("adminUsername", str(driverParams, adminKeys, "AdminUsername: crunch", "loginUser"));
  const profileKeys = ["Containers", "CloudVMs", "DriverParameters", "IAMInstanceProfile"];
  const profile = str(driverParams, profileKeys, "IAMInstanceProfile: arvados-compute-ebs-autoscale");
  // It goes into --emit-config: an IAM instance profile name (or ARN), as EC2 takes it.
  if (profile !== undefined && !IAM_PROFILE.test(profile))
    bad(profileKeys, `is ${shown(profile)}`, "an IAM instance profile name or ARN of [A-Za-z0-9+=,.@_:/-]", "IAMInstanceProfile: arvados-compute-ebs-autoscale");
  else assign("iamInstanceProfile", profile);
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
    const read = readUserFile(file, LIMITS.small);
    if (!read.ok) {
      problem(`is ${shown(value)}, and that file cannot be read (${read.problem})`);
      return undefined;
    }
    text = read.data.toString("utf8");
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
const IAM_PROFILE = /^[A-Za-z0-9+=,.@_:/-]{1,2048}$/;
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
    // Names go into --emit-config and messages.
    if (CONTROL.test(name) || !name.isWellFormed() || name.trim() === "") {
      bad([name], "is a name with a control character or only spaces", "an instance type name of printable characters", "m5.large: {ProviderType: m5.large, VCPUs: 2, RAM: 8GiB}");
      continue;
    }
    if (!isMap(v)) {
      if (v !== null) bad([name], `is ${kindOf(v)}`, "a map of settings", `${name}: {ProviderType: ${name}, VCPUs: 2, RAM: 8GiB}`);
      continue;
    }
    const t: InstanceTypeFacts = { name, gpu: false };
    const pt = v["ProviderType"];
    if (typeof pt === "string" && CONTROL.test(pt)) bad([name, "ProviderType"], `is ${shown(pt)}, with a control character`, "an instance type", "ProviderType: m5.large");
    else if (typeof pt === "string" && pt !== "") t.providerType = pt;
    else if (pt !== undefined && pt !== null && pt !== "") bad([name, "ProviderType"], `is ${kindOf(pt)}`, "a string", "ProviderType: m5.large");
    for (const [k, field] of [
      ["IncludedScratch", "includedScratch"],
      ["AddedScratch", "addedScratch"],
    ] as const) {
      const s = v[k];
      if (typeof s === "string" && CONTROL.test(s)) bad([name, k], `is ${shown(s)}, with a control character`, "a size", `${k}: 50GB`);
      else if (typeof s === "string" || typeof s === "number") t[field] = s;
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
        const stack = section === "CUDA" ? "cuda" : typeof g["Stack"] === "string" && g["Stack"] !== "" && !CONTROL.test(g["Stack"]) ? g["Stack"].toLowerCase() : "cuda";
        t.gpuStack = stack;
      }
    }
    out.push(t);
  }
  return out;
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
