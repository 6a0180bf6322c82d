/**
 * Versions, pins and download locations, as data that config (--mirror, the legacy
 * pass-through's goversion) and render (scripts, `arv-image urls`) both read: it sits
 * below both and imports nothing, so scripts/e2e/apt-repo/versions.mjs can transpile it
 * on its own. Bump a version here and refresh the goldens (`npm run test:update`).
 *
 * Shaped for a table of Arvados releases → third-party pins: a release's pins will be a
 * `ThirdPartyPins` value, and CURRENT_PINS the one for the newest release.
 */

/** Go toolchain used only to compile Singularity, then removed from the image. */
export const GO_VERSION = "1.21.13";
export const SINGULARITY_VERSION = "3.10.5";
/** The Arvados fork of amazon-ebs-autoscale, at the commit Arvados' own images use. */
export const AUTOSCALER_COMMIT = "ee323f0751c2b6f733692e805b51b9bf3c251bac";
export const CUDA_KEYRING_VERSION = "1.1-1";

export const URLS = {
  arvadosApt: "https://apt.arvados.org",
  arvadosKey: "https://apt.arvados.org/pubkey.gpg",
  dockerApt: "https://download.docker.com/linux",
  /** "" means Docker's own: <dockerApt>/<distribution>/gpg. */
  dockerKey: "",
  cudaRepo: "https://developer.download.nvidia.com/compute/cuda/repos",
  nvidiaToolkit: "https://nvidia.github.io/libnvidia-container/stable/deb",
  nvidiaToolkitKey: "https://nvidia.github.io/libnvidia-container/gpgkey",
  go: "https://go.dev/dl",
  singularity: "https://github.com/sylabs/singularity/releases/download",
  autoscaler: "https://github.com/arvados/amazon-ebs-autoscale/archive",
} as const;

export type UrlKey = keyof typeof URLS;

/**
 * What `--mirror NAME=URL` can redirect, for air-gapped sites: every download the
 * provisioning scripts make beyond the image's own Debian mirror.
 */
export const MIRRORS: readonly { name: string; key: UrlKey; what: string }[] = [
  { name: "arvados-apt", key: "arvadosApt", what: "Arvados apt repository (<url>/<codename>, suite <codename><reposuffix>)" },
  { name: "arvados-key", key: "arvadosKey", what: "Arvados apt signing key (ASCII-armoured)" },
  { name: "docker-apt", key: "dockerApt", what: "Docker apt repository (<url>/debian)" },
  { name: "docker-key", key: "dockerKey", what: "Docker apt signing key (default <docker-apt>/debian/gpg)" },
  { name: "cuda-repo", key: "cudaRepo", what: "NVIDIA CUDA repository and its cuda-keyring package (<url>/debian12/x86_64/)" },
  { name: "nvidia-toolkit", key: "nvidiaToolkit", what: "NVIDIA container toolkit apt repository (<url>/amd64)" },
  { name: "nvidia-toolkit-key", key: "nvidiaToolkitKey", what: "NVIDIA container toolkit signing key" },
  { name: "go", key: "go", what: "Go toolchain archives (<url>/go<version>.linux-amd64.tar.gz), to build Singularity" },
  { name: "singularity", key: "singularity", what: "SingularityCE source releases (<url>/v<version>/singularity-ce-<version>.tar.gz)" },
  { name: "autoscaler", key: "autoscaler", what: "amazon-ebs-autoscale source archives (<url>/<commit>.tar.gz)" },
];

/**
 * Third-party packages held at tested major versions (apt pin priority 995), and the
 * Arvados origin kept at priority 50: installable, never upgraded in place.
 */
export const APT_PINS: readonly { packages: string; version: string }[] = [
  { packages: "src:docker-ce", version: "5:27.*" },
  { packages: "containerd.io", version: "1.7.*" },
  // CUDA 12.6 is the last 12.x that runs on the 560 driver series: keep the two together.
  { packages: "cuda", version: "12.6.*" },
  { packages: "cuda-drivers src:nvidia-graphics-drivers", version: "560.*" },
  { packages: "src:libnvidia-container src:nvidia-container-toolkit", version: "1.16.*" },
];

/**
 * Packer plugins for Packer ≥ 1.7 (versions.pkr.hcl), held to the major version the
 * templates were written for ("~> 1.3": 1.3 or a later 1.x, never 2.0): `packer init`
 * never pulls a release with breaking changes into a bake.
 */
export const PACKER_PLUGINS = {
  aws: { name: "amazon", source: "github.com/hashicorp/amazon", version: "~> 1.3" },
  // 2.2: azure 2.1.x creates Basic public IPs, which Azure has refused since March 2025.
  azure: { name: "azure", source: "github.com/hashicorp/azure", version: "~> 2.2" },
  // 1.1.4: the first with credentials_file (account_file is deprecated from there on).
  gcp: { name: "googlecompute", source: "github.com/hashicorp/googlecompute", version: ">= 1.1.4, < 2.0.0" },
} as const;

/** What one Arvados release is built with, beyond the Arvados packages themselves. */
export interface ThirdPartyPins {
  readonly go: string;
  readonly singularity: string;
  readonly autoscalerCommit: string;
  readonly cudaKeyring: string;
  readonly apt: readonly { packages: string; version: string }[];
}

/** The pins arv-image installs today (the newest Arvados release's, once releases are a table). */
export const CURRENT_PINS: ThirdPartyPins = {
  go: GO_VERSION,
  singularity: SINGULARITY_VERSION,
  autoscalerCommit: AUTOSCALER_COMMIT,
  cudaKeyring: CUDA_KEYRING_VERSION,
  apt: APT_PINS,
};
