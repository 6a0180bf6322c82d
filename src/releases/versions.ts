/**
 * Versions, pins and download locations, as data that config (--mirror, the legacy
 * pass-through's goversion) and render (scripts, `arv-image urls`) both read: it sits
 * below both and imports nothing, so scripts/e2e/apt-repo/versions.mjs can transpile it
 * on its own. Bump a version here and refresh the goldens (`npm run test:update`).
 *
 * RELEASES is the table of Arvados releases → third-party pins (--arvados-version picks the
 * entry); CURRENT_PINS are the newest release's.
 */

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
  /** AMD's repositories: <url>/amdgpu/<version>/ubuntu and <url>/rocm/apt/<version>. */
  rocmRepo: "https://repo.radeon.com",
  rocmKey: "https://repo.radeon.com/rocm/rocm.gpg.key",
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
  { name: "rocm-repo", key: "rocmRepo", what: "AMD ROCm and amdgpu apt repositories (<url>/rocm/apt/<version>, <url>/amdgpu/<version>/ubuntu)" },
  { name: "rocm-key", key: "rocmKey", what: "AMD ROCm apt signing key (ASCII-armoured)" },
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
  /** Go toolchain used only to compile Singularity, then removed from the image. */
  readonly go: string;
  readonly singularity: string;
  readonly autoscalerCommit: string;
  readonly cudaKeyring: string;
  /** AMD ROCm release: part of AMD's repository URLs (AMD publishes one repository per release). */
  readonly rocm: string;
  /** Third-party packages held at tested versions (apt pin priority 995). */
  readonly apt: readonly { packages: string; version: string }[];
}

export interface ArvadosRelease {
  /** "X.Y": every X.Y.Z uses this entry's pins. */
  readonly series: string;
  /** The newest X.Y.Z of the series arv-image knows (the default --arvados-version for the newest series). */
  readonly latest: string;
  /** Where the pins were read, so a reader can check them. */
  readonly readFrom: string;
  readonly pins: ThirdPartyPins;
}

/**
 * The packages Arvados pins to the release (tools/ansible/roles/arvados_apt/templates/arvados.pref.j2),
 * at priority 995 unless the suite ends in -dev or -testing.
 */
export const ARVADOS_PIN_PACKAGES = "arvados-* crunch-* keep-* python3-arvados-* keepproxy keepstore libpam-arvados-go python3-crunchstat-summary";

/**
 * Arvados releases → the third-party versions Arvados' own compute image build pins for them,
 * newest first. To add a release: read tools/ansible/roles/ of the arvados/arvados tag
 * (arvados_docker/files/arvados-docker.pref, compute_nvidia/files/arvados-nvidia.pref,
 * arvados_go/defaults, compute_singularity/defaults, compute_amd_rocm/defaults), add an entry on
 * top, and refresh the goldens (`npm run golden:update`).
 */
export const RELEASES: readonly [ArvadosRelease, ...ArvadosRelease[]] = [
  {
    series: "3.2",
    latest: "3.2.1",
    readFrom: "arvados/arvados 3.2.1, tools/ansible/roles",
    pins: {
      go: "1.25.6",
      singularity: "3.10.4",
      autoscalerCommit: AUTOSCALER_COMMIT,
      cudaKeyring: CUDA_KEYRING_VERSION,
      rocm: "6.3.2",
      apt: [
        { packages: "src:docker-ce", version: "5:28.*" },
        { packages: "containerd.io", version: "1.7.*" },
        { packages: "cuda", version: "13.0.*" },
        { packages: "src:libnvidia-container src:nvidia-container-toolkit", version: "1.17.*" },
        {
          packages: "cuda-drivers nvidia-modprobe nvidia-open nvidia-persistenced nvidia-xconfig src:nvidia-graphics-drivers src:nvidia-kmod-open src:nvidia-settings",
          version: "580.*",
        },
      ],
    },
  },
  {
    series: "3.1",
    latest: "3.1.2",
    readFrom: "arvados/arvados 3.1.2, tools/ansible/roles",
    pins: {
      go: "1.23.6",
      singularity: "3.10.4",
      autoscalerCommit: AUTOSCALER_COMMIT,
      cudaKeyring: CUDA_KEYRING_VERSION,
      rocm: "6.3.2",
      apt: [
        { packages: "src:docker-ce", version: "5:28.*" },
        { packages: "containerd.io", version: "1.7.*" },
        { packages: "cuda", version: "12.6.*" },
        { packages: "src:libnvidia-container src:nvidia-container-toolkit", version: "1.17.*" },
        { packages: "cuda-drivers nvidia-modprobe nvidia-open src:nvidia-graphics-drivers src:nvidia-kmod-open src:nvidia-settings", version: "560.*" },
      ],
    },
  },
];

export const NEWEST_RELEASE: ArvadosRelease = RELEASES[0];

/** The release table's entry for an Arvados version "X.Y.Z" or "X.Y.Z-N"; undefined when arv-image does not know its series. */
export function releaseOf(version: string): ArvadosRelease | undefined {
  const series = version.split(".").slice(0, 2).join(".");
  return RELEASES.find((r) => r.series === series);
}

/**
 * The `Pin: version` of the Arvados packages, as Arvados writes it: "3.2.1" → "3.2.1-*" (any
 * package revision), a version with a revision ("3.2.1-2") or a glob as it is.
 */
export function arvadosPinVersion(version: string): string {
  return /-|\*$/.test(version) ? version : `${version}-*`;
}

/** The newest release's pins: the default, and what the e2e stand-in mirror is built to match. */
export const CURRENT_PINS: ThirdPartyPins = NEWEST_RELEASE.pins;
export const GO_VERSION = CURRENT_PINS.go;
export const SINGULARITY_VERSION = CURRENT_PINS.singularity;
export const ROCM_VERSION = CURRENT_PINS.rocm;
export const APT_PINS = CURRENT_PINS.apt;
