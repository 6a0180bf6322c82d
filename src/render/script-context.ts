/**
 * The contract between render/context.ts and templates/scripts/*.sh.hbs.
 * Every value a script needs is a string in `v` (printed with {{sh v.name}});
 * every choice is a boolean in `on` (used with {{#if on.name}}). Nothing else.
 */
export interface ScriptValues {
  /** Remote directory the file provisioner uploads files/ into, e.g. "/tmp/arv-image". */
  staging: string;
  /** "aws" | "azure" | "gcp" | "none" (none = provisioning an existing machine). */
  cloud: string;
  /** Login user arvados-dispatch-cloud uses (default "crunch"). */
  loginUser: string;
  /** Seconds to wait for apt/dpkg locks before failing. */
  aptLockTimeout: string;
  /** Seconds to wait for cloud-init to finish before failing. */
  cloudInitTimeout: string;
  /** Arvados apt base URL; the script appends "/$VERSION_CODENAME". */
  arvadosAptUrl: string;
  /** Arvados apt signing key URL. */
  arvadosKeyUrl: string;
  /** Suite suffix: "" | "-dev" | "-testing" … ; suite = "$VERSION_CODENAME$reposuffix". */
  reposuffix: string;
  /** Docker apt base URL; the script appends "/$ID" (debian|ubuntu). */
  dockerAptUrl: string;
  /** Docker key URL, or "" for "$dockerAptUrl/$ID/gpg". */
  dockerKeyUrl: string;
  /** CUDA repo base; the script appends "/$ID${VERSION_ID//./}/x86_64". */
  cudaRepoUrl: string;
  /** cuda-keyring package version, e.g. "1.1-1". */
  cudaKeyringVersion: string;
  /** NVIDIA container toolkit apt base, e.g. "https://nvidia.github.io/libnvidia-container/stable/deb" (+ "/amd64"). */
  nvidiaToolkitUrl: string;
  /** NVIDIA container toolkit signing key URL. */
  nvidiaToolkitKeyUrl: string;
  /** Go toolchain version used only to build Singularity, e.g. "1.21.13". */
  goVersion: string;
  /** Go download base; the script appends "/go$goVersion.linux-amd64.tar.gz". */
  goUrl: string;
  /** Singularity CE version, e.g. "3.10.5". */
  singularityVersion: string;
  /** Release download base; the script appends "/v$V/singularity-ce-$V.tar.gz". */
  singularityUrl: string;
  /** Install prefix for Singularity, e.g. "/opt/singularity". */
  singularityPrefix: string;
  /** `mksquashfs mem` value, e.g. "256M". */
  mksquashfsMem: string;
  /** amazon-ebs-autoscale archive base; the script appends "/$commit.tar.gz". */
  autoscalerUrl: string;
  /** Pinned commit of the Arvados fork of amazon-ebs-autoscale. */
  autoscalerCommit: string;
  /** DNS resolver IP, or "". */
  resolver: string;
  /** AMD ROCm release, e.g. "6.3.2": part of AMD's repository URLs. */
  rocmVersion: string;
  /** AMD repository base; the script appends "/rocm/apt/$rocmVersion" and "/amdgpu/$rocmVersion/ubuntu". */
  rocmRepoUrl: string;
  /** AMD ROCm signing key URL (ASCII-armoured). */
  rocmKeyUrl: string;
}

export interface ScriptSwitches {
  docker: boolean;
  singularity: boolean;
  nvidia: boolean;
  /** AMD ROCm and the amdgpu driver (35-rocm.sh; files/rocm.pref). */
  rocm: boolean;
  /** EBS autoscaler for /tmp (AWS only); exclusive with encryptedTmp. */
  ebsAutoscale: boolean;
  /** LUKS-encrypted LVM scratch on local disks for /tmp. */
  encryptedTmp: boolean;
  /** files/arvados.pref exists and is installed. */
  pinPackages: boolean;
  /** v.resolver is set. */
  resolver: boolean;
  /** files/hosts.append exists. */
  hosts: boolean;
  /** Remove host keys, machine-id, cloud-init state, builder keys (false when provisioning a live machine). */
  captureHygiene: boolean;
}

export interface ScriptContext {
  v: ScriptValues;
  on: ScriptSwitches;
}

/** Files that render/files.ts writes into files/ (uploaded to v.staging) when their switch is on. */
export const STAGED_FILES = {
  authorizedKeys: "authorized_keys", // always
  aptPins: "arvados.pref", // on.pinPackages
  dockerDaemon: "daemon.json", // on.docker
  dockerCleaner: "docker-cleaner.json", // on.docker
  hosts: "hosts.append", // on.hosts
  ebsConfig: "ebs-autoscale.json", // on.ebsAutoscale
  rocmPins: "rocm.pref", // on.rocm
} as const;
