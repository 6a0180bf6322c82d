// Types of apt-repo.mjs's public API (written by hand from the JSDoc of apt-repo.mjs and apt-repo/*.mjs;
// `npx tsc --allowJs --declaration --emitDeclarationOnly ... scripts/e2e/apt-repo.mjs` shows the generated ones).

/** arv-image's versions and pins (src/releases/versions.ts). */
export interface ArvImageVersions {
  GO_VERSION: string;
  SINGULARITY_VERSION: string;
  AUTOSCALER_COMMIT: string;
  CUDA_KEYRING_VERSION: string;
  URLS: Record<string, string>;
  APT_PINS: readonly { packages: string; version: string }[];
}

export interface MirrorOptions {
  /** default: read from src/releases/versions.ts */
  versions?: ArvImageVersions;
  /** also serve stand-in linux-headers-<release> packages (the "extras" repository) */
  kernelReleases?: string[];
}

export interface ManifestPackage {
  name: string;
  version: string;
  arch: "amd64" | "all";
  source?: string;
  /** a newer release that arv-image's pin must keep out */
  decoy?: boolean;
  /** the pin that names it: "PACKAGES: VERSION" */
  pin?: string;
  /** what the real package is */
  real: string;
  /** path relative to the mirror root */
  file: string;
  sha256: string;
}

export interface ManifestRepo {
  id: string;
  title: string;
  realUrl: string;
  layout: "dists" | "flat";
  /** repository root relative to the mirror root */
  root: string;
  /** ASCII-armoured public key, relative to the mirror root */
  key: string;
  fingerprint: string;
  suites?: { suite: string; component: string; packages: ManifestPackage[] }[];
  packages?: ManifestPackage[];
}

/** MANIFEST.json at the mirror's root. */
export interface MirrorManifest {
  format: number;
  hash: string;
  distro: { id: string; versionId: string; codename: string; cudaDistro: string; arch: string };
  versions: { GO_VERSION: string; SINGULARITY_VERSION: string; AUTOSCALER_COMMIT: string; CUDA_KEYRING_VERSION: string };
  pins: readonly { packages: string; version: string }[];
  kernelReleases: string[];
  repos: ManifestRepo[];
  archives: { path: string; real: string; size: number; sha256: string }[];
}

export interface CachedMirror {
  /** the mirror's root directory (serve it) */
  dir: string;
  hash: string;
  manifest: MirrorManifest;
  /** whether this call built it */
  built: boolean;
}

/** ${ARV_IMAGE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/arv-image} */
export function cacheRoot(env?: NodeJS.ProcessEnv): string;
/** The mirror for the current inputs, built on first use (into cacheRoot()/mirror-<hash>). */
export function cachedMirror(opts?: MirrorOptions & { cacheRoot?: string }): Promise<CachedMirror>;
/** Builds the whole mirror into dir (created; must be empty if it exists). */
export function buildMirror(dir: string, opts?: MirrorOptions): Promise<MirrorManifest>;
/** The cache key: a hash of everything the mirror is built from. */
export function mirrorHash(opts?: MirrorOptions): Promise<string>;
/** Throws unless every pinned stand-in satisfies its pin, no decoy does, and every pin names a stand-in. */
export function checkPins(repos: unknown[], pins: readonly { packages: string; version: string }[]): void;
/** apt's fnmatch-style pattern (or /regex/) as a RegExp. */
export function globRegExp(glob: string): RegExp;
/** The first pin whose Package line names the package (by name or by src:SOURCE). */
export function pinFor(
  p: { name: string; source?: string },
  pins: readonly { packages: string; version: string }[],
): { packages: string; version: string } | undefined;
export function loadVersions(root?: string): Promise<ArvImageVersions>;
/** mtime of every packaged file and the Release files' Date (seconds). */
export const EPOCH: number;
export const DISTRO: { id: string; versionId: string; codename: string; cudaDistro: string; arch: string };
export const STANDIN: {
  arvados: { stable: string; dev: string };
  docker: { version: string; decoy: boolean }[];
  containerd: { version: string; decoy: boolean }[];
  buildx: string;
  compose: string;
  cuda: { version: string; driver: string; decoy: boolean }[];
  persistenced: string;
  toolkit: { version: string; decoy: boolean }[];
  kernelHeaders: string;
};
/** The apt source line and keyring the cuda-keyring package installs. */
export const CUDA_KEYRING_LIST: { path: string; keyring: string; line: string };
