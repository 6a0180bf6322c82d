#!/usr/bin/env node
// The e2e SSH targets' root filesystem tarballs, one per Debian release, built once per recipe
// and cached: bookworm (Debian 12; the chroot target's and a booted machine's) and trixie
// (Debian 13; a booted machine's).
//
//   node scripts/e2e/rootfs.mjs ensure-rootfs [SUITE]   builds it when absent; prints its path
//   node scripts/e2e/rootfs.mjs path [SUITE]            prints the path it has (or would have)
//
// Cache directory: $ARV_IMAGE_E2E_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/arv-image.
// The name carries the suite and a hash of the recipe (the suite, make-rootfs.sh,
// rootfs-packages.txt, the compressor),
// so a changed recipe builds a new tarball; older ones are left alone (delete them by hand).
// Building takes about a minute (debootstrap from deb.debian.org) and needs root. It runs under
// flock(1) on a lock file next to the tarball, so concurrent callers (test workers) build it
// once; make-rootfs.sh writes OUT.partial.PID and renames it, so a tarball is never half-written.
// The build's output goes to rootfs-*.log next to the tarball.

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const MAKE_ROOTFS = join(HERE, "make-rootfs.sh");
export const PACKAGES = join(HERE, "rootfs-packages.txt");
/** The Debian releases make-rootfs.sh builds; the first is the default. */
export const SUITES = ["bookworm", "trixie"];

function checkSuite(suite) {
  if (!SUITES.includes(suite)) throw new Error(`unknown e2e rootfs suite ${JSON.stringify(suite)}: expected one of ${SUITES.join(", ")}`);
  return suite;
}

export function cacheDir() {
  if (process.env.ARV_IMAGE_E2E_CACHE) return process.env.ARV_IMAGE_E2E_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || join(process.env.HOME || homedir(), ".cache");
  return join(xdg, "arv-image");
}

function hasZstd() {
  return spawnSync("zstd", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * The cached tarball's path for the current recipe (whether or not it exists yet).
 * @param {string} [suite] bookworm (default) or trixie
 */
export function rootfsPath(suite = SUITES[0]) {
  const SUITE = checkSuite(suite);
  const ext = hasZstd() ? "tar.zst" : "tar.gz";
  const hash = createHash("sha256");
  for (const part of [SUITE, ext, readFileSync(MAKE_ROOTFS), readFileSync(PACKAGES)]) {
    hash.update(part);
    hash.update("\0");
  }
  return join(cacheDir(), `rootfs-${SUITE}-${hash.digest("hex").slice(0, 16)}.${ext}`);
}

/**
 * The cached tarball's path, built first when absent.
 * @param {{ suite?: string, onBuild?: (path: string) => void, lockTimeoutSeconds?: number }} [options]
 *   suite: bookworm (default) or trixie; onBuild: called before waiting for the lock / building
 *   (a build takes about a minute).
 * @returns {Promise<string>}
 */
export async function ensureRootfs(options = {}) {
  const suite = checkSuite(options.suite ?? SUITES[0]);
  const path = rootfsPath(suite);
  if (existsSync(path)) return path;
  if (process.getuid?.() !== 0) throw new Error(`the e2e rootfs ${path} does not exist, and building it needs root (debootstrap, mount, chroot)`);
  mkdirSync(dirname(path), { recursive: true });
  options.onBuild?.(path);
  const logPath = path.replace(/\.tar\.(zst|gz)$/, ".log");
  const logFd = openSync(logPath, "a");
  try {
    const wait = String(options.lockTimeoutSeconds ?? 1800);
    // Under the lock: another caller may have built it meanwhile.
    const args = ["-w", wait, `${path}.lock`, "bash", "-c", '[[ -e $1 ]] || exec bash "$2" --suite "$3" "$1"', "_", path, MAKE_ROOTFS, suite];
    const code = await new Promise((resolve, reject) => {
      const child = spawn("flock", args, { stdio: ["ignore", logFd, logFd] });
      child.on("error", reject);
      child.on("exit", (c, signal) => resolve(c ?? signal));
    });
    if (code !== 0 || !existsSync(path)) {
      const log = readFileSync(logPath, "utf8").split("\n").slice(-30).join("\n");
      throw new Error(`building the e2e rootfs failed (${code}); the end of ${logPath}:\n${log}`);
    }
  } finally {
    closeSync(logFd);
  }
  return path;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [command, suite = SUITES[0]] = process.argv.slice(2);
  if (!SUITES.includes(suite)) {
    console.error(`unknown suite ${JSON.stringify(suite)}: expected one of ${SUITES.join(", ")}`);
    process.exit(2);
  }
  if (command === "path") {
    console.log(rootfsPath(suite));
  } else if (command === "ensure-rootfs") {
    try {
      const path = await ensureRootfs({ suite, onBuild: (p) => console.error(`building ${p} (about a minute; log next to it)...`) });
      console.log(path);
    } catch (e) {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    }
  } else {
    console.error(`usage: node scripts/e2e/rootfs.mjs ensure-rootfs|path [${SUITES.join("|")}]`);
    process.exit(2);
  }
}
