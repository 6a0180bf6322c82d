#!/usr/bin/env node
// @ts-check
/**
 * The e2e mirror: signed apt repositories of tiny stand-in packages and stand-in archives for
 * everything arv-image's provisioning scripts download besides Debian's own packages (Arvados,
 * Docker, NVIDIA CUDA and container toolkit, Go, SingularityCE, amazon-ebs-autoscale). Serve it
 * with test/support/mirror/server.mjs; test/support/mirror/README.md documents every stand-in.
 *
 *   buildMirror(dir, opts)   builds into dir (uncached)
 *   cachedMirror(opts)       builds once per set of inputs into
 *                            ${ARV_IMAGE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/arv-image}/mirror-<hash>
 *                            (built aside, then renamed into place; a lock file keeps concurrent
 *                            test workers from building it twice)
 *
 * Command line: node scripts/e2e/apt-repo.mjs [--out DIR | --cache-root DIR] [--kernel-release R]...
 * prints {"dir":...,"hash":...,"built":true|false}.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { homedir, hostname } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildMirror, mirrorHash } from "./apt-repo/build.mjs";
import { loadVersions } from "./apt-repo/versions.mjs";

export { buildMirror, checkPins, EPOCH, globRegExp, mirrorHash, pinFor } from "./apt-repo/build.mjs";
export { CUDA_KEYRING_LIST, DISTRO, STANDIN } from "./apt-repo/spec.mjs";
export { loadVersions } from "./apt-repo/versions.mjs";

/** ${ARV_IMAGE_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/arv-image} */
export function cacheRoot(env = process.env) {
  if (env.ARV_IMAGE_E2E_CACHE) return resolve(env.ARV_IMAGE_E2E_CACHE);
  return join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), ".cache"), "arv-image");
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return /** @type {NodeJS.ErrnoException} */ (e).code === "EPERM";
  }
}

/** A lock file left by a process that is gone (this host) or older than 10 minutes. @param {string} path */
async function staleLock(path) {
  try {
    const [text, st] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    const age = Date.now() - st.mtimeMs;
    /** @type {{ pid?: number, host?: string }} */
    let owner = {};
    try {
      owner = JSON.parse(text);
    } catch {
      return age > 10_000;
    }
    if (owner.host === hostname() && typeof owner.pid === "number" && !alive(owner.pid)) return true;
    return age > 10 * 60_000;
  } catch {
    return false;
  }
}

/**
 * Runs fn holding an exclusive lock file (O_EXCL create); waits for another holder.
 * @template T
 * @param {string} path
 * @param {() => Promise<T>} fn
 * @param {() => Promise<T | undefined>} [whileWaiting] checked while waiting: a value ends the wait
 * @returns {Promise<T>}
 */
async function withLock(path, fn, whileWaiting) {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      const fh = await open(path, "wx");
      await fh.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), time: new Date().toISOString() }));
      await fh.close();
      break;
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== "EEXIST") throw e;
      if (await staleLock(path)) {
        await rm(path, { force: true });
        continue;
      }
      const done = await whileWaiting?.();
      if (done !== undefined) return done;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${path} (remove it if no build is running)`, { cause: e });
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

/**
 * @typedef {object} CachedMirror
 * @property {string} dir the mirror's root directory (serve it)
 * @property {string} hash
 * @property {Awaited<ReturnType<typeof buildMirror>>} manifest MANIFEST.json
 * @property {boolean} built whether this call built it
 */

/**
 * The mirror for the current inputs, built on first use.
 * @param {import("./apt-repo/build.mjs").MirrorOptions & { cacheRoot?: string }} [opts]
 * @returns {Promise<CachedMirror>}
 */
export async function cachedMirror(opts = {}) {
  const root = opts.cacheRoot ?? cacheRoot();
  const versions = opts.versions ?? (await loadVersions());
  const kernelReleases = opts.kernelReleases ?? [];
  const hash = await mirrorHash({ versions, kernelReleases });
  const dir = join(root, `mirror-${hash}`);
  /** @returns {Promise<CachedMirror | undefined>} */
  const ready = async () => {
    try {
      const manifest = JSON.parse(await readFile(join(dir, "MANIFEST.json"), "utf8"));
      return manifest.hash === hash ? { dir, hash, manifest, built: false } : undefined;
    } catch {
      return undefined;
    }
  };
  const existing = await ready();
  if (existing) return existing;
  await mkdir(root, { recursive: true });
  return withLock(
    join(root, `mirror-${hash}.lock`),
    async () => {
      const now = await ready();
      if (now) return now;
      // Left-overs: a directory without its manifest, and builds of processes that are gone.
      await rm(dir, { recursive: true, force: true });
      for (const name of await readdir(root)) {
        const m = /^\.mirror-[0-9a-f]+\.tmp-(\d+)-/.exec(name);
        if (m && !alive(Number(m[1]))) await rm(join(root, name), { recursive: true, force: true });
      }
      const tmp = join(root, `.mirror-${hash}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
      try {
        const manifest = await buildMirror(tmp, { versions, kernelReleases });
        try {
          await rename(tmp, dir);
        } catch (e) {
          const other = await ready();
          if (!other) throw e;
          await rm(tmp, { recursive: true, force: true });
          return other;
        }
        return { dir, hash, manifest, built: true };
      } catch (e) {
        await rm(tmp, { recursive: true, force: true });
        throw e;
      }
    },
    ready,
  );
}

async function main() {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      "cache-root": { type: "string" },
      "kernel-release": { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write("usage: node scripts/e2e/apt-repo.mjs [--out DIR | --cache-root DIR] [--kernel-release RELEASE]...\n");
    return;
  }
  const kernelReleases = values["kernel-release"] ?? [];
  if (values.out) {
    const manifest = await buildMirror(resolve(values.out), { kernelReleases });
    process.stdout.write(`${JSON.stringify({ dir: resolve(values.out), hash: manifest.hash, built: true })}\n`);
  } else {
    const m = await cachedMirror({ cacheRoot: values["cache-root"] ? resolve(values["cache-root"]) : undefined, kernelReleases });
    process.stdout.write(`${JSON.stringify({ dir: m.dir, hash: m.hash, built: m.built })}\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`apt-repo: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
