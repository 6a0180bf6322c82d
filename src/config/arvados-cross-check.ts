/**
 * Does the cluster's config.yml agree with the build flags? Errors are what would leave the
 * image unusable by the dispatcher; warnings what would surprise.
 */
import type { ArvadosClusterFacts } from "./arvados-facts.js";
import { quote, shown } from "./arvados-facts.js";
import { fingerprintOfBlob } from "./ssh-private-key.js";

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
