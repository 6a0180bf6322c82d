// @ts-check
/**
 * buildMirror(dir): every stand-in the e2e mirror serves, written into dir. See
 * test/support/mirror/README.md for the layout and what each stand-in is.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autoscalerArchive, goArchive, singularityArchive } from "./archives.mjs";
import { buildDeb, debFileName } from "./deb.mjs";
import { Keyring } from "./gpg.mjs";
import { writeDistsSuite, writeFlat } from "./repo.mjs";
import { DISTRO, repositories } from "./spec.mjs";
import { digest, mapLimit } from "./util.mjs";
import { REPO_ROOT, loadVersions } from "./versions.mjs";

/** Bumped when the layout changes in a way the inputs below do not show. */
export const FORMAT = 1;
/** mtime of every file in the packages and archives, and the Release files' Date: 2025-01-01. */
export const EPOCH = 1735689600;

/**
 * @typedef {object} MirrorOptions
 * @property {import("./versions.mjs").ArvImageVersions} [versions] default: read from src/releases/versions.ts
 * @property {string[]} [kernelReleases] also serve stand-in linux-headers-<release> packages (an
 *   "extras" repository), for chroots whose `uname -r` is the host's kernel
 */

/** @param {string} glob apt's fnmatch-style pattern */
export function globRegExp(glob) {
  if (glob.length > 2 && glob.startsWith("/") && glob.endsWith("/")) return new RegExp(glob.slice(1, -1));
  const body = [...glob].map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&"))).join("");
  return new RegExp(`^${body}$`);
}

/**
 * The first pin whose Package line names the package (by name or by src:SOURCE), as apt reads
 * arv-image's arvados.pref.
 * @param {{ name: string, source?: string }} p
 * @param {readonly { packages: string, version: string }[]} pins
 */
export function pinFor(p, pins) {
  for (const pin of pins) {
    for (const token of pin.packages.split(/\s+/).filter(Boolean)) {
      const src = token.startsWith("src:");
      const re = globRegExp(src ? token.slice(4) : token);
      if (re.test(src ? (p.source ?? p.name) : p.name)) return pin;
    }
  }
  return undefined;
}

/**
 * Every pinned stand-in satisfies its pin, every decoy does not, and every pin names a stand-in:
 * otherwise the e2e run would not test what arv-image's pins do.
 * @param {import("./spec.mjs").RepoSpec[]} repos
 * @param {readonly { packages: string, version: string }[]} pins
 */
export function checkPins(repos, pins) {
  const problems = [];
  const used = new Set();
  for (const p of allPackages(repos)) {
    const pin = pinFor(p, pins);
    if (!pin) {
      if (p.decoy) problems.push(`decoy ${p.name} ${p.version} is named by no pin`);
      continue;
    }
    const ok = globRegExp(pin.version).test(p.version);
    if (p.decoy && ok) problems.push(`decoy ${p.name} ${p.version} satisfies the pin "${pin.packages}: ${pin.version}" (it must not)`);
    if (!p.decoy && !ok) problems.push(`${p.name} ${p.version} does not satisfy the pin "${pin.packages}: ${pin.version}"`);
    if (!p.decoy && ok) used.add(pin);
  }
  for (const pin of pins) if (!used.has(pin)) problems.push(`the pin "${pin.packages}: ${pin.version}" names no stand-in package`);
  if (problems.length > 0) {
    throw new Error(
      `the e2e mirror's stand-in versions no longer match arv-image's APT_PINS (src/releases/versions.ts):\n  ${problems.join("\n  ")}\n` +
        "Update STANDIN (and the packages) in scripts/e2e/apt-repo/spec.mjs.",
    );
  }
}

/** @param {import("./spec.mjs").RepoSpec[]} repos */
function* allPackages(repos) {
  for (const r of repos) {
    for (const s of r.suites ?? []) yield* s.packages;
    yield* r.packages ?? [];
  }
}

/** Files whose content defines the mirror (the builder itself). */
export async function builderSources() {
  const dir = join(REPO_ROOT, "scripts/e2e/apt-repo");
  const names = (await readdir(dir)).filter((n) => n.endsWith(".mjs")).sort();
  /** @type {[string, string][]} */
  const out = [];
  for (const n of names) out.push([`scripts/e2e/apt-repo/${n}`, digest("sha256", await readFile(join(dir, n)))]);
  return out;
}

/**
 * The cache key: a hash of everything the mirror is built from.
 * @param {MirrorOptions} [opts]
 */
export async function mirrorHash(opts = {}) {
  const v = opts.versions ?? (await loadVersions());
  const inputs = {
    format: FORMAT,
    versions: {
      GO_VERSION: v.GO_VERSION,
      SINGULARITY_VERSION: v.SINGULARITY_VERSION,
      AUTOSCALER_COMMIT: v.AUTOSCALER_COMMIT,
      CUDA_KEYRING_VERSION: v.CUDA_KEYRING_VERSION,
      APT_PINS: v.APT_PINS,
    },
    kernelReleases: [...new Set(opts.kernelReleases ?? [])].sort(),
    builder: await builderSources(),
  };
  return digest("sha256", JSON.stringify(inputs)).slice(0, 16);
}

/**
 * Builds the whole mirror into dir (created; must be empty if it exists). Writes MANIFEST.json
 * last. Deterministic but for the OpenPGP keys (fresh for each build) and what they sign: the
 * Release signatures and the cuda-keyring package, which holds the CUDA key.
 * @param {string} dir
 * @param {MirrorOptions} [opts]
 */
export async function buildMirror(dir, opts = {}) {
  const versions = opts.versions ?? (await loadVersions());
  const kernelReleases = [...new Set(opts.kernelReleases ?? [])].sort();
  const hash = await mirrorHash({ versions, kernelReleases });
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) throw new Error(`buildMirror: ${dir} is not empty`);
  const work = await mkdtemp(join(tmpdir(), "arv-e2e-mirror-"));
  const keyring = await Keyring.create();
  try {
    // 1. One throwaway key per repository, as each vendor has its own.
    const ids = ["arvados", "docker", "cuda", "nvidia-toolkit", ...(kernelReleases.length > 0 ? ["extras"] : [])];
    /** @type {Record<string, Awaited<ReturnType<Keyring["generate"]>>>} */
    const keys = {};
    for (const id of ids) keys[id] = await keyring.generate(`arv-image e2e stand-in ${id} repository (throwaway test key) <${id}@arv-image-e2e.invalid>`);
    const cudaKey = keys.cuda;
    if (!cudaKey) throw new Error("no CUDA key");
    const repos = repositories({ cudaKeyringVersion: versions.CUDA_KEYRING_VERSION, cudaKey: cudaKey.binary, kernelReleases });
    checkPins(repos, versions.APT_PINS);

    // 2. The packages, each once per repository.
    /** @type {{ repo: import("./spec.mjs").RepoSpec, p: import("./spec.mjs").PackageSpec, rel: string }[]} */
    const jobs = [];
    for (const repo of repos) {
      const seen = new Set();
      for (const p of [...(repo.suites ?? []).flatMap((s) => s.packages), ...(repo.packages ?? [])]) {
        const rel = repo.layout === "flat" ? debFileName(p) : `${repo.pool?.(p) ?? "pool"}/${debFileName(p)}`;
        if (seen.has(rel)) continue;
        seen.add(rel);
        jobs.push({ repo, p, rel });
      }
    }
    const built = new Map();
    await mapLimit(jobs, 6, async (j, i) => {
      const out = join(dir, j.repo.root, j.rel);
      await mkdir(join(out, ".."), { recursive: true });
      const fields = await buildDeb(j.p, join(work, `deb-${i}`), out, EPOCH);
      built.set(`${j.repo.id}/${j.rel}`, { fields, data: await readFile(out) });
    });
    /** @param {import("./spec.mjs").RepoSpec} repo @param {import("./spec.mjs").PackageSpec} p */
    const entry = (repo, p) => {
      const rel = repo.layout === "flat" ? debFileName(p) : `${repo.pool?.(p) ?? "pool"}/${debFileName(p)}`;
      const b = built.get(`${repo.id}/${rel}`);
      return { fields: b.fields, data: b.data, filename: repo.layout === "flat" ? `./${rel}` : rel };
    };

    // 3. Indices, signed; each repository's public key where its URL setting points.
    const manifestRepos = [];
    for (const repo of repos) {
      const key = keys[repo.id];
      if (!key) throw new Error(`no key for ${repo.id}`);
      /** @param {string} text */
      const sign = (text) => keyring.signRelease(key.fpr, text);
      const root = join(dir, repo.root);
      if (repo.layout === "dists") {
        for (const s of repo.suites ?? []) {
          await writeDistsSuite({
            root,
            suite: s.suite,
            component: s.component,
            arch: DISTRO.arch,
            entries: s.packages.map((p) => entry(repo, p)),
            release: repo.release,
            epoch: EPOCH,
            sign,
          });
        }
      } else {
        await writeFlat({ root, arch: DISTRO.arch, entries: (repo.packages ?? []).map((p) => entry(repo, p)), release: repo.release, epoch: EPOCH, sign });
      }
      await mkdir(join(dir, repo.keyPath, ".."), { recursive: true });
      await writeFile(join(dir, repo.keyPath), key.armored);
      /** @param {import("./spec.mjs").PackageSpec} p */
      const describe = (p) => {
        const e = entry(repo, p);
        const pin = pinFor(p, versions.APT_PINS);
        return {
          name: p.name,
          version: p.version,
          arch: p.arch,
          ...(p.source ? { source: p.source } : {}),
          ...(p.decoy ? { decoy: true } : {}),
          ...(pin ? { pin: `${pin.packages}: ${pin.version}` } : {}),
          real: p.real,
          file: `${repo.root}/${e.filename.replace(/^\.\//, "")}`,
          sha256: digest("sha256", e.data),
        };
      };
      manifestRepos.push({
        id: repo.id,
        title: repo.title,
        realUrl: repo.realUrl,
        layout: repo.layout,
        root: repo.root,
        key: repo.keyPath,
        fingerprint: key.fpr,
        ...(repo.suites
          ? { suites: repo.suites.map((s) => ({ suite: s.suite, component: s.component, packages: s.packages.map(describe) })) }
          : { packages: (repo.packages ?? []).map(describe) }),
      });
    }

    // 4. The archives.
    const archives = [
      { path: `go/go${versions.GO_VERSION}.linux-amd64.tar.gz`, real: `Go ${versions.GO_VERSION} toolchain`, data: await goArchive(join(work, "go"), versions.GO_VERSION, EPOCH) },
      {
        path: `singularity/v${versions.SINGULARITY_VERSION}/singularity-ce-${versions.SINGULARITY_VERSION}.tar.gz`,
        real: `SingularityCE ${versions.SINGULARITY_VERSION} source release`,
        data: await singularityArchive(join(work, "singularity"), versions.SINGULARITY_VERSION, EPOCH),
      },
      {
        path: `autoscaler/${versions.AUTOSCALER_COMMIT}.tar.gz`,
        real: `amazon-ebs-autoscale (Arvados' fork) at ${versions.AUTOSCALER_COMMIT}, GitHub source archive`,
        data: await autoscalerArchive(join(work, "autoscaler"), versions.AUTOSCALER_COMMIT, EPOCH),
      },
    ];
    for (const a of archives) {
      await mkdir(join(dir, a.path, ".."), { recursive: true });
      await writeFile(join(dir, a.path), a.data);
    }

    const manifest = {
      format: FORMAT,
      hash,
      distro: DISTRO,
      versions: {
        GO_VERSION: versions.GO_VERSION,
        SINGULARITY_VERSION: versions.SINGULARITY_VERSION,
        AUTOSCALER_COMMIT: versions.AUTOSCALER_COMMIT,
        CUDA_KEYRING_VERSION: versions.CUDA_KEYRING_VERSION,
      },
      pins: versions.APT_PINS,
      kernelReleases,
      repos: manifestRepos,
      archives: archives.map((a) => ({ path: a.path, real: a.real, size: a.data.length, sha256: digest("sha256", a.data) })),
    };
    await writeFile(join(dir, "MANIFEST.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } finally {
    await keyring.destroy();
    await rm(work, { recursive: true, force: true });
  }
}
