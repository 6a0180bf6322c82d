// Generated from server.mjs: npx tsc --allowJs --declaration --emitDeclarationOnly --strict --module nodenext --moduleResolution nodenext --target es2022 --types node --outDir /tmp/d test/support/mirror/server.mjs
/**
 * The URL of each of arv-image's download settings (URLS in src/releases/versions.ts) on a mirror
 * served at base. Layout: see README.md.
 * @param {string} base e.g. http://127.0.0.1:8080
 */
export function mirrorUrls(base: string): {
    arvadosApt: string;
    arvadosKey: string;
    dockerApt: string;
    dockerKey: string;
    cudaRepo: string;
    nvidiaToolkit: string;
    nvidiaToolkitKey: string;
    go: string;
    singularity: string;
    autoscaler: string;
};
/**
 * `--mirror NAME=URL` arguments for arv-image (NAME: the setting's key in kebab case, as MIRRORS
 * in src/releases/versions.ts names them).
 * @param {string} base
 */
export function mirrorArgs(base: string): string[];
/**
 * The stand-in kernel-headers repository (built with kernelReleases), which arv-image does not
 * know about: an e2e harness adds it to the chroot itself before 30-nvidia runs.
 * @param {string} base
 * @param {string} keyring where the harness installs the key from keyUrl
 */
export function extrasSource(base: string, keyring: string): {
    keyUrl: string;
    sources: string;
};
/**
 * Serves dir over HTTP.
 * @param {MirrorServerOptions} options
 * @returns {Promise<MirrorServer>}
 */
export function startMirror(options: MirrorServerOptions): Promise<MirrorServer>;
export type RequestLogEntry = {
    /**
     * ISO 8601, when the request arrived
     */
    time: string;
    method: string;
    /**
     * the decoded path (no query)
     */
    path: string;
    status: number;
    /**
     * body bytes sent
     */
    bytes: number;
    /**
     * the Range header, when present
     */
    range?: string | undefined;
    userAgent?: string | undefined;
};
export type MirrorServer = {
    /**
     * http://HOST:PORT (no trailing slash)
     */
    url: string;
    port: number;
    /**
     * every request so far
     */
    requests: RequestLogEntry[];
    /**
     * stops listening and destroys open connections
     */
    close: () => Promise<void>;
};
export type MirrorServerOptions = {
    /**
     * the mirror's root directory
     */
    dir: string;
    /**
     * default 127.0.0.1
     */
    host?: string | undefined;
    /**
     * default 0 (a free port)
     */
    port?: number | undefined;
    /**
     * also append each request as a JSON line to this file
     */
    log?: string | undefined;
};
