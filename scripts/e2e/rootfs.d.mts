// Types for rootfs.mjs (hand-written; keep in step with it).
export declare const MAKE_ROOTFS: string;
export declare const PACKAGES: string;
/** $ARV_IMAGE_E2E_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/arv-image. */
export declare function cacheDir(): string;
/** The Debian releases make-rootfs.sh builds; the first (bookworm) is the default. */
export declare const SUITES: readonly ["bookworm", "trixie"];
export type Suite = (typeof SUITES)[number];
/** The cached tarball's path for the current recipe (whether or not it exists yet). */
export declare function rootfsPath(suite?: Suite): string;
/** The cached tarball's path, built first (under a lock, atomically) when absent. Needs root to build. */
export declare function ensureRootfs(options?: { suite?: Suite; onBuild?: (path: string) => void; lockTimeoutSeconds?: number }): Promise<string>;
