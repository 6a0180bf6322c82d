/**
 * The e2e mirror (scripts/e2e/apt-repo.mjs, served by test/support/mirror/server.mjs), checked
 * with the real tools and arv-image's real rendered scripts, without touching the host's apt
 * state: apt-get runs against throwaway directories (APT_CONFIG), with the deb822 sources and
 * keys exactly as 20-arvados, 30-nvidia and 40-docker write them for `--mirror` URLs pointing
 * here. Also builds the stand-in SingularityCE with the stand-in Go by running
 * 50-singularity's own build_singularity function, and unpacks the autoscaler the way
 * 61-ebs-autoscale does. test/support/mirror/README.md says what each stand-in is.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as versions from "../../src/releases/versions.js";
import { APT_PINS, AUTOSCALER_COMMIT, CUDA_KEYRING_VERSION, GO_VERSION, SINGULARITY_VERSION, URLS } from "../../src/releases/versions.js";
import { CUDA_KEYRING_LIST, STANDIN, cachedMirror, globRegExp, pinFor, type CachedMirror } from "../../scripts/e2e/apt-repo.mjs";
import { EXAMPLE_KEY, REPO, run, runCli } from "../support/cli.js";
import { extrasSource, mirrorArgs, mirrorUrls, startMirror, type MirrorServer } from "../support/mirror/server.mjs";
import { requireTool } from "../support/tools.js";

/** A kernel release for the stand-in headers (not the host's: it may not be a valid package name). */
const KERNEL = "6.1.0-99-amd64";

let work: string;
let mirror: CachedMirror;
let concurrent: CachedMirror[];
let server: MirrorServer;
let urls: ReturnType<typeof mirrorUrls>;
/** Rendered scripts (and `prelude`, the scripts/lib/prelude.sh they source): pinned (the default) and with --reposuffix -dev (no pins). */
let scripts: Record<string, string>;
let devScripts: Record<string, string>;
let pref: string;

/** The stand-in version the pins select (the one that is not a decoy). */
const selectedStandIn = (list: readonly { version: string; decoy: boolean }[]) => list.find((x) => !x.decoy)?.version ?? "";

async function render(out: string, extra: string[]) {
  const r = await runCli([
    "render",
    "--cloud",
    "aws",
    "--arvados-cluster-id",
    "zzzzz",
    "--public-key-file",
    EXAMPLE_KEY,
    "--nvidia-gpu-support",
    "--aws-ebs-autoscale",
    ...mirrorArgs(server.url),
    ...extra,
    "--out",
    out,
  ]);
  if (r.code !== 0) throw new Error(`arv-image render failed: ${r.stderr}`);
  const dir = join(out, "scripts");
  const scripts = readdirSync(dir).filter((f) => f.endsWith(".sh"));
  return { ...Object.fromEntries(scripts.map((f) => [f.replace(/\.sh$/, ""), readFileSync(join(dir, f), "utf8")])), prelude: readFileSync(join(dir, "lib/prelude.sh"), "utf8") };
}

/** The values block of the rendered prelude, as plain (not readonly) assignments. */
function values(script: string): string {
  const m = /# --- arv-image values ---\n([\s\S]*?)# --- end of values ---/.exec(script);
  if (!m?.[1]) throw new Error("no values block");
  return m[1].replace(/^readonly /gm, "");
}

/** A shell function's definition (from `name() {` to the first line that is `}`). */
function fn(script: string, name: string): string {
  const m = new RegExp(`^${name}\\(\\) \\{\\n[\\s\\S]*?\\n\\}\\n`, "m").exec(script);
  if (!m) throw new Error(`no function ${name}`);
  return m[0];
}

/** The lines of a script from the first matching `from` to the first matching `to`, inclusive. */
function lines(script: string, from: RegExp, to: RegExp): string {
  const all = script.split("\n");
  const start = all.findIndex((l) => from.test(l));
  const end = all.findIndex((l, i) => i >= start && to.test(l));
  if (start < 0 || end < 0) throw new Error(`no lines ${from} .. ${to}`);
  return all.slice(start, end + 1).join("\n") + "\n";
}

/** `install_content MODE DEST <<EOF ... EOF` of a script, as a `cat` of the same here-document. */
function heredoc(script: string, dest: string): string {
  const m = new RegExp(`install_content 0644 ${dest.replace(/[.]/g, "\\.")} <<EOF\\n([\\s\\S]*?)\\nEOF\\n`).exec(script);
  if (!m) throw new Error(`no here-document for ${dest}`);
  return `cat <<EOF\n${m[1]}\nEOF\n`;
}

/** The words of every `apt_get install` line without shell expansions. */
function installs(script: string): string[][] {
  return [...script.matchAll(/^\s*apt_get install (.+)$/gm)]
    .map((m) => m[1] ?? "")
    .filter((l) => !l.includes("$") && !l.endsWith("\\"))
    .map((l) => l.trim().split(/\s+/));
}

const OS = "ID=debian\nVERSION_ID=12\nVERSION_CODENAME=bookworm\n";

async function bash(script: string, env: NodeJS.ProcessEnv = process.env) {
  const r = await run("bash", ["-c", script], { env });
  if (r.code !== 0) throw new Error(`bash failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A throwaway apt root: its own sources, preferences, lists, cache and (empty) dpkg status. */
function aptRoot(name: string) {
  const t = join(work, name);
  for (const d of ["state/lists/partial", "cache/archives/partial", "sources.list.d", "preferences.d", "trusted.gpg.d", "keys", "download"])
    mkdirSync(join(t, d), { recursive: true });
  writeFileSync(join(t, "status"), "");
  const conf = [
    `Dir::State "${t}/state";`,
    `Dir::State::status "${t}/status";`,
    `Dir::Cache "${t}/cache";`,
    `Dir::Etc::SourceList "/dev/null";`,
    `Dir::Etc::SourceParts "${t}/sources.list.d";`,
    `Dir::Etc::Preferences "${t}/preferences";`,
    `Dir::Etc::PreferencesParts "${t}/preferences.d";`,
    `Dir::Etc::TrustedParts "${t}/trusted.gpg.d";`,
    `Dir::Etc::Trusted "${t}/trusted.gpg";`,
    `APT::Architecture "amd64";`,
    `APT::Architectures { "amd64"; };`,
    `Acquire::Languages "none";`,
    `Acquire::Retries "0";`,
    `Acquire::http::Proxy "DIRECT";`,
    `Debug::NoLocking "true";`,
    ...(process.getuid?.() === 0 ? [`APT::Sandbox::User "root";`] : []),
  ];
  writeFileSync(join(t, "apt.conf"), conf.join("\n") + "\n");
  const env = { ...process.env, APT_CONFIG: join(t, "apt.conf"), LC_ALL: "C" };
  return {
    dir: t,
    source: (file: string, text: string) => writeFileSync(join(t, "sources.list.d", file), text),
    apt: (cmd: string, args: string[]) => run(cmd, args, { env, cwd: join(t, "download") }),
  };
}

/** Downloads a key the way install_apt_key does (same checks). */
async function fetchKey(url: string, dest: string) {
  const r = await run("curl", ["-fsSL", "--retry", "3", "--connect-timeout", "30", "--max-time", "1800", "-o", dest, url]);
  expect(r.code, `${url}: ${r.stderr}`).toBe(0);
  expect(readFileSync(dest, "utf8")).toContain("-----BEGIN PGP PUBLIC KEY BLOCK-----");
}

/**
 * Sets up a throwaway apt root as 20-arvados, 30-nvidia and 40-docker would, from the rendered
 * scripts: keys from the same URLs, the cuda-keyring package's own keyring, the same deb822 text.
 */
async function scriptsAptRoot(name: string, s: Record<string, string>, withPins: string | undefined) {
  const root = aptRoot(name);
  const k = (f: string) => join(root.dir, "keys", f);
  const v = values(s.prelude ?? "");
  // 20-arvados
  const arvadosKeyUrl = (await bash(`${v}printf %s "$ARVADOS_KEY_URL"`)).trim();
  await fetchKey(arvadosKeyUrl, k("arvados.asc"));
  root.source("arvados.sources", await bash(`${v}${OS}ARVADOS_KEYRING=${k("arvados.asc")}\n${heredoc(s["20-arvados"] ?? "", "/etc/apt/sources.list.d/arvados.sources")}`));
  // 40-docker (its key URL rule, then its source)
  const docker = s["40-docker"] ?? "";
  const dockerKeyUrl = (await bash(`${values(s.prelude ?? "")}${OS}${lines(docker, /^docker_key_url=/, /docker_key_url="/)}printf %s "$docker_key_url"`)).trim();
  await fetchKey(dockerKeyUrl, k("docker.asc"));
  root.source("docker.sources", await bash(`${values(s.prelude ?? "")}${OS}DOCKER_KEYRING=${k("docker.asc")}\n${heredoc(docker, "/etc/apt/sources.list.d/docker.sources")}`));
  // 30-nvidia: the cuda-keyring package from CUDA_URL, its keyring found as the script finds it
  const nv = s["30-nvidia"] ?? "";
  const nvVars = `${values(s.prelude ?? "")}${OS}${lines(nv, /^readonly CUDA_DISTRO=/, /^readonly CUDA_URL=/).replace(/^readonly /gm, "")}`;
  const keyringDeb = join(root.dir, `cuda-keyring_${CUDA_KEYRING_VERSION}_all.deb`);
  const r = await run("curl", ["-fsSL", "-o", keyringDeb, (await bash(`${nvVars}printf %s "$CUDA_URL/cuda-keyring_\${CUDA_KEYRING_VERSION}_all.deb"`)).trim()]);
  expect(r.code, r.stderr).toBe(0);
  const listing = (await run("dpkg-deb", ["-c", keyringDeb])).stdout;
  const keyInDeb = /\.(\/usr\/share\/keyrings\/[^\s/]+\.gpg)$/m.exec(listing)?.[1];
  expect(keyInDeb, listing).toBeDefined();
  await run("dpkg-deb", ["-x", keyringDeb, join(root.dir, "cuda-keyring")]);
  const cudaKey = join(root.dir, "cuda-keyring", keyInDeb ?? "");
  root.source("cuda.sources", await bash(`${nvVars}cuda_key=${cudaKey}\n${heredoc(nv, "/etc/apt/sources.list.d/cuda.sources")}`));
  await fetchKey((await bash(`${nvVars}printf %s "$NVIDIA_TOOLKIT_KEY_URL"`)).trim(), k("toolkit.asc"));
  root.source(
    "nvidia-container-toolkit.sources",
    await bash(`${nvVars}TOOLKIT_KEYRING=${k("toolkit.asc")}\n${heredoc(nv, "/etc/apt/sources.list.d/nvidia-container-toolkit.sources")}`),
  );
  if (withPins !== undefined) writeFileSync(join(root.dir, "preferences.d", "arvados.pref"), withPins);
  return root;
}

/** `apt-get -s install` → [name, version] of each package it would install. */
function simulated(stdout: string): [string, string][] {
  return [...stdout.matchAll(/^Inst (\S+) \((\S+) /gm)].map((m) => [m[1] ?? "", m[2] ?? ""]);
}

function candidate(policy: string, pkg: string): string | undefined {
  const block = policy.split(/^(?=\S)/m).find((b) => b.startsWith(`${pkg}:`));
  return /Candidate: (\S+)/.exec(block ?? "")?.[1];
}

function manifestPackages() {
  return mirror.manifest.repos.flatMap((r) => [...(r.suites ?? []).flatMap((s) => s.packages), ...(r.packages ?? [])]);
}

/** Status of a GET with the path sent as is (fetch would normalise it). */
function rawStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: server.port, path, method: "GET" }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("e2e mirror: stand-ins for everything the provisioning scripts download", () => {
  beforeAll(async () => {
    for (const tool of ["dpkg-deb", "gpg", "apt-get", "curl", "make", "tar"]) await requireTool(tool);
    await requireTool("cc", ["--version"]);
    work = mkdtempSync(join(tmpdir(), "arv-e2e-mirror-test-"));
    const cacheRoot = join(work, "cache");
    // Two test workers asking at once: one builds, the other waits and reuses.
    concurrent = await Promise.all([cachedMirror({ cacheRoot, kernelReleases: [KERNEL] }), cachedMirror({ cacheRoot, kernelReleases: [KERNEL] })]);
    mirror = concurrent[0] as CachedMirror;
    server = await startMirror({ dir: mirror.dir });
    urls = mirrorUrls(server.url);
    scripts = await render(join(work, "render"), []);
    devScripts = await render(join(work, "render-dev"), ["--reposuffix", "-dev"]);
    pref = readFileSync(join(work, "render", "files", "arvados.pref"), "utf8");
  });

  afterAll(async () => {
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("is built once for concurrent callers, atomically, and then reused from the cache", async () => {
    expect(concurrent.map((m) => m.dir)).toEqual([mirror.dir, mirror.dir]);
    expect(concurrent.filter((m) => m.built)).toHaveLength(1);
    const again = await cachedMirror({ cacheRoot: join(work, "cache"), kernelReleases: [KERNEL] });
    expect(again).toMatchObject({ dir: mirror.dir, built: false, hash: mirror.hash });
    expect(readdirSync(join(work, "cache"))).toEqual([`mirror-${mirror.hash}`]);
    expect(mirror.manifest.versions).toEqual({ GO_VERSION, SINGULARITY_VERSION, AUTOSCALER_COMMIT, CUDA_KEYRING_VERSION });
  });

  it("has a URL for each of arv-image's download settings, and --mirror names for them", () => {
    expect(Object.keys(urls).sort()).toEqual(Object.keys(URLS).sort());
    const names = (versions as { MIRRORS?: readonly { name: string; key: string }[] }).MIRRORS;
    if (names) {
      const args = mirrorArgs(server.url).filter((a) => a !== "--mirror");
      expect(args.map((a) => a.split("=")[0]).sort()).toEqual(names.map((m) => m.name).sort());
      for (const m of names) expect(args).toContain(`${m.name}=${urls[m.key as keyof typeof urls]}`);
    }
  });

  it("serves every archive and key at the URL the scripts build from those settings", async () => {
    const s = scripts;
    const expected = {
      go: `${urls.go}/go${GO_VERSION}.linux-amd64.tar.gz`,
      singularity: `${urls.singularity}/v${SINGULARITY_VERSION}/singularity-ce-${SINGULARITY_VERSION}.tar.gz`,
      autoscaler: `${urls.autoscaler}/${AUTOSCALER_COMMIT}.tar.gz`,
      keyring: `${urls.cudaRepo}/debian12/x86_64/cuda-keyring_${CUDA_KEYRING_VERSION}_all.deb`,
    };
    // The same expressions the scripts use, evaluated with their own values.
    const fromScripts = await bash(
      `${values(s.prelude ?? "")}echo "$GO_URL/go$GO_VERSION.linux-amd64.tar.gz"; echo "$SINGULARITY_URL/v$SINGULARITY_VERSION/singularity-ce-$SINGULARITY_VERSION.tar.gz"; echo "$AUTOSCALER_URL/$AUTOSCALER_COMMIT.tar.gz"`,
    );
    expect(fromScripts.trim().split("\n")).toEqual([expected.go, expected.singularity, expected.autoscaler]);
    for (const url of Object.values(expected)) {
      const r = await run("curl", ["-fsS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", url]);
      expect(r.code, `${url}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^200 [1-9]/);
    }
    // Docker's default key location (--mirror docker-key not given) is served too.
    await fetchKey(`${urls.dockerApt}/debian/gpg`, join(work, "docker-default.asc"));
  });

  it("apt verifies and reads every repository as the scripts configure it, and the pins pick the stand-ins", async () => {
    const root = await scriptsAptRoot("apt-pinned", scripts, pref);
    const update = await root.apt("apt-get", ["update"]);
    expect(update.code, update.stdout + update.stderr).toBe(0);
    expect(update.stderr).not.toMatch(/^[WE]:/m);
    // Signed indices (InRelease), one per source.
    const lists = readdirSync(join(root.dir, "state", "lists")).filter((f) => f.endsWith("_InRelease"));
    expect(lists).toHaveLength(4);

    const pinned = [
      "docker-ce",
      "docker-ce-cli",
      "containerd.io",
      "cuda",
      "cuda-drivers",
      "nvidia-driver",
      "libnvidia-container1",
      "libnvidia-container-tools",
      "nvidia-container-toolkit",
      "nvidia-container-toolkit-base",
    ];
    const policy = (await root.apt("apt-cache", ["policy", ...pinned, "python3-arvados-fuse", "arvados-docker-cleaner"])).stdout;
    for (const pkg of pinned) {
      const version = candidate(policy, pkg);
      const pin = pinFor({ name: pkg, source: manifestPackages().find((p) => p.name === pkg)?.source }, APT_PINS);
      expect(pin, pkg).toBeDefined();
      expect(version, `${pkg}\n${policy}`).toMatch(globRegExp(pin?.version ?? ""));
    }
    expect(candidate(policy, "python3-arvados-fuse")).toBe(STANDIN.arvados.stable);

    // Each package list the scripts install, resolved against the stand-ins only.
    const lists20 = installs(scripts["20-arvados"] ?? "");
    const lists30 = installs(scripts["30-nvidia"] ?? "");
    const lists40 = installs(scripts["40-docker"] ?? "");
    expect(lists20).toEqual([["crunch-run", "python3-arvados-fuse"]]);
    expect(lists30.flat()).toContain("cuda");
    expect(lists40).toEqual([["--no-install-recommends", "docker-ce"], ["arvados-docker-cleaner"]]);
    const installed: [string, string][] = [];
    for (const words of [...lists20, ...lists30, ...lists40]) {
      const r = await root.apt("apt-get", ["-s", "install", ...words]);
      expect(r.code, `${words.join(" ")}\n${r.stdout}${r.stderr}`).toBe(0);
      installed.push(...simulated(r.stdout));
    }
    const known = manifestPackages();
    for (const [name, version] of installed) {
      const p = known.find((k) => k.name === name && k.version === version);
      expect(p, `${name} ${version} is a stand-in`).toBeDefined();
      expect(p?.decoy, `${name} ${version} is not a decoy`).toBeFalsy();
      const pin = pinFor({ name, source: p?.source }, APT_PINS);
      if (pin) expect(version, name).toMatch(globRegExp(pin.version));
    }
    const names = installed.map(([n]) => n);
    expect(names).toEqual(
      expect.arrayContaining([
        "python3-arvados-fuse",
        "docker-ce",
        "containerd.io",
        "arvados-docker-cleaner",
        "cuda",
        "cuda-drivers",
        "nvidia-container-toolkit",
        "nvidia-persistenced",
      ]),
    );
    expect(names).not.toContain("docker-ce-rootless-extras"); // a Recommends, and 40-docker installs without them

    // apt downloads (and checks) a package; its stand-in programs say what they are.
    const dl = await root.apt("apt-get", ["download", "docker-ce-cli", "python3-arvados-fuse", "nvidia-container-toolkit-base"]);
    expect(dl.code, dl.stderr).toBe(0);
    const debs = readdirSync(join(root.dir, "download"));
    expect(debs).toHaveLength(3);
    const x = join(root.dir, "x");
    for (const deb of debs) await run("dpkg-deb", ["-x", join(root.dir, "download", deb), x]);
    expect((await run(join(x, "usr/bin/docker"), ["--version"])).stdout).toMatch(
      new RegExp(`^Docker version ${selectedStandIn(STANDIN.docker).replace(/^\d+:/, "").replace(/-.*$/, "").replaceAll(".", "\\.")}, `),
    );
    expect((await run(join(x, "usr/bin/arv-mount"), ["--version"])).stdout).toBe(`arv-mount ${STANDIN.arvados.stable.replace(/-[^-]*$/, "")}\n`);
    expect((await run(join(x, "usr/bin/nvidia-ctk"), ["--version"])).stdout).toContain(`version ${selectedStandIn(STANDIN.toolkit).replace(/-.*$/, "")}`);
    const other = await run(join(x, "usr/bin/docker"), ["info"]);
    expect(other.code).toBe(0);
    expect(other.stderr).toMatch(/arv-image e2e stand-in/);
  });

  it("without pins (--reposuffix -dev) apt takes the -dev suite and the newer decoys: the pins are what hold the versions", async () => {
    expect(existsSync(join(work, "render-dev", "files", "arvados.pref"))).toBe(false);
    const root = await scriptsAptRoot("apt-dev", devScripts, undefined);
    const update = await root.apt("apt-get", ["update"]);
    expect(update.code, update.stdout + update.stderr).toBe(0);
    const policy = (await root.apt("apt-cache", ["policy", "python3-arvados-fuse", "docker-ce", "containerd.io", "cuda", "nvidia-container-toolkit"])).stdout;
    expect(candidate(policy, "python3-arvados-fuse")).toBe(STANDIN.arvados.dev);
    for (const pkg of ["docker-ce", "containerd.io", "cuda", "nvidia-container-toolkit"]) {
      const v = candidate(policy, pkg);
      expect(manifestPackages().find((p) => p.name === pkg && p.version === v)?.decoy, `${pkg} ${v}`).toBe(true);
    }
  });

  it("apt rejects a repository signed by another key (the signatures are checked)", async () => {
    const root = aptRoot("apt-wrong-key");
    await fetchKey(urls.arvadosKey, join(root.dir, "keys", "arvados.asc"));
    root.source("docker.sources", `Types: deb\nURIs: ${urls.dockerApt}/debian\nSuites: bookworm\nComponents: stable\nSigned-By: ${join(root.dir, "keys", "arvados.asc")}\n`);
    const update = await root.apt("apt-get", ["update"]);
    expect(update.code).not.toBe(0);
    expect(update.stdout + update.stderr).toMatch(/NO_PUBKEY|not signed/);
  });

  it("cuda-keyring installs NVIDIA's one-line source and a keyring under /usr/share/keyrings, as 30-nvidia expects", async () => {
    const deb = join(mirror.dir, `cuda/debian12/x86_64/cuda-keyring_${CUDA_KEYRING_VERSION}_all.deb`);
    const info = await run("dpkg-deb", ["-f", deb, "Package", "Version", "Architecture"]);
    expect(info.stdout).toBe(`Package: cuda-keyring\nVersion: ${CUDA_KEYRING_VERSION}\nArchitecture: all\n`);
    const x = join(work, "cuda-keyring");
    await run("dpkg-deb", ["-x", deb, x]);
    expect(readFileSync(join(x, CUDA_KEYRING_LIST.path), "utf8")).toBe(`${CUDA_KEYRING_LIST.line}\n`);
    expect(readFileSync(join(x, CUDA_KEYRING_LIST.keyring)).length).toBeGreaterThan(100);
    const conffiles = await run("dpkg-deb", ["-I", deb, "conffiles"]);
    expect(conffiles.stdout.trim()).toBe(CUDA_KEYRING_LIST.path);
  });

  it("serves stand-in kernel headers for the chroot's kernel from the extras repository", async () => {
    const root = aptRoot("apt-extras");
    const ex = extrasSource(server.url, join(root.dir, "keys", "extras.asc"));
    await fetchKey(ex.keyUrl, join(root.dir, "keys", "extras.asc"));
    root.source("extras.sources", ex.sources);
    expect((await root.apt("apt-get", ["update"])).code).toBe(0);
    const r = await root.apt("apt-get", ["-s", "install", `linux-headers-${KERNEL}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(simulated(r.stdout)).toEqual([[`linux-headers-${KERNEL}`, STANDIN.kernelHeaders]]);
  });

  it("50-singularity's own build_singularity builds the stand-in SingularityCE with the stand-in Go", async () => {
    const s = scripts["50-singularity"] ?? "";
    const prelude = scripts.prelude ?? "";
    const t = join(work, "singularity");
    mkdirSync(join(t, "staging"), { recursive: true });
    mkdirSync(join(t, "home"), { recursive: true });
    const harness = [
      "set -euo pipefail",
      values(scripts.prelude ?? ""),
      `STAGING=${t}/staging`,
      `SINGULARITY_PREFIX=${t}/opt/singularity`,
      `WORK_DIR=$(mktemp -d ${t}/work.XXXXXX)`,
      lines(s, /^readonly SINGULARITY_BIN=/, /^readonly SINGULARITY_CONF=/).replace(/^readonly /gm, ""),
      `log() { printf '%s\\n' "$*"; }`,
      `step() { printf '\\n==> %s\\n' "$*"; }`,
      `die() { printf 'ERROR: %s\\n' "$*" >&2; exit 1; }`,
      `remove_on_exit() { :; }`,
      `apt_get() { log "(test: not running apt_get $*)"; }`,
      fn(prelude, "fetch"),
      fn(prelude, "replace_content"),
      fn(s, "installed_version"),
      fn(s, "is_wanted_version"),
      fn(s, "put_mksquashfs_mem"),
      fn(s, "build_singularity"),
      `[[ -z $(installed_version) ]] || die "already installed?"`,
      "build_singularity",
      // The script's checks after the build (without linking into /usr/local/bin).
      `for name in singularity run-singularity; do [[ -e $SINGULARITY_PREFIX/bin/$name ]] || die "$name missing"; done`,
      `[[ -f $SINGULARITY_CONF ]] || die "no $SINGULARITY_CONF"`,
      `put_mksquashfs_mem "$SINGULARITY_CONF"`,
      `version=$("$SINGULARITY_BIN" --version)`,
      `is_wanted_version "\${version##* }" || die "wrong version $version"`,
      `is_wanted_version "$(installed_version)" || die "installed_version"`,
      `echo "RESULT $version"`,
    ].join("\n");
    const out = await bash(harness, { ...process.env, HOME: join(t, "home"), XDG_CACHE_HOME: "" });
    expect(out).toContain(`Using go version go${GO_VERSION} linux/amd64`);
    expect(out).toContain(`RESULT singularity-ce version ${SINGULARITY_VERSION}`);
    const conf = readFileSync(join(t, "opt/singularity/etc/singularity/singularity.conf"), "utf8");
    const mem = (await bash(`${values(scripts.prelude ?? "")}printf %s "$MKSQUASHFS_MEM"`)).trim();
    expect(conf.split("\n").filter((l) => /^\s*mksquashfs\s+mem\s*=/.test(l))).toEqual([`mksquashfs mem = ${mem}`]);
    expect(existsSync(join(t, "opt/singularity/libexec/singularity/bin/starter"))).toBe(true);
    // Go's caches stayed in the build tree (removed with it), not in $HOME.
    expect(readdirSync(join(t, "home"))).toEqual([]);
    expect(readdirSync(join(t, "staging"))).toEqual([]);
  });

  it("the autoscaler archive unpacks as 61-ebs-autoscale unpacks it, and its install.sh accepts the boot-time options", async () => {
    const s = scripts["61-ebs-autoscale"] ?? "";
    const t = mkdtempSync(join(work, "autoscaler-"));
    const harness = [
      "set -euo pipefail",
      values(scripts.prelude ?? ""),
      `WORK_DIR=${t}`,
      `log() { printf '%s\\n' "$*"; }`,
      `die() { printf 'ERROR: %s\\n' "$*" >&2; exit 1; }`,
      fn(scripts.prelude ?? "", "fetch"),
      lines(s, /^archive=/, /does not look like amazon-ebs-autoscale/),
      `bash "$new_dir/install.sh" --imdsv2 -f lvm.ext4 -m /tmp`,
      `ls "$new_dir"`,
    ].join("\n");
    const out = await bash(harness);
    expect(out).toMatch(/Nothing was changed/);
    expect(out.split("\n")).toEqual(expect.arrayContaining(["install.sh", "config", "bin"]));
    expect(out).not.toMatch(/pax_global_header/);
    expect(JSON.parse(readFileSync(join(t, "amazon-ebs-autoscale/config/ebs-autoscale.json"), "utf8"))).toHaveProperty("mountpoint");
  });

  it("every stand-in shell script (programs, maintainer scripts, mconfig, install.sh, go) passes shellcheck", async () => {
    await requireTool("shellcheck");
    const x = join(work, "shellcheck");
    mkdirSync(x, { recursive: true });
    const debs = [...new Set(manifestPackages().map((p) => p.file))];
    for (let i = 0; i < debs.length; i += 8) {
      const results = await Promise.all(debs.slice(i, i + 8).map((f, j) => run("dpkg-deb", ["-R", join(mirror.dir, f), join(x, `deb-${i + j}`)])));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
    }
    for (const a of mirror.manifest.archives) {
      mkdirSync(join(x, a.path), { recursive: true });
      await run("tar", ["-C", join(x, a.path), "-xzf", join(mirror.dir, a.path)]);
    }
    const found = await run("grep", ["-rlE", "^#!/bin/(ba)?sh", x]);
    const files = found.stdout.trim().split("\n");
    expect(files.length).toBeGreaterThan(50);
    const r = await run("shellcheck", ["-S", "warning", "-f", "gcc", ...files]);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("server: HEAD, ranges, If-Modified-Since, 404s, no escaping the root, a request log; standalone mode", async () => {
    const file = `/go/go${GO_VERSION}.linux-amd64.tar.gz`;
    const before = server.requests.length;
    const head = await fetch(`${server.url}${file}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    const size = Number(head.headers.get("content-length"));
    expect(size).toBe(readFileSync(join(mirror.dir, file)).length);
    const part = await fetch(`${server.url}${file}`, { headers: { Range: "bytes=10-19" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 10-19/${size}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(readFileSync(join(mirror.dir, file)).subarray(10, 20));
    const cond = await fetch(`${server.url}${file}`, { headers: { "If-Modified-Since": head.headers.get("last-modified") ?? "" } });
    expect(cond.status).toBe(304);
    expect((await fetch(`${server.url}/nothing-here`)).status).toBe(404);
    expect((await fetch(`${server.url}/go`)).status).toBe(404);
    expect(await rawStatus("/../../etc/passwd")).toBe(404); // dot segments resolve inside the root
    expect(await rawStatus("/go/..%2f..%2f..%2fetc%2fpasswd")).toBe(400);
    expect(server.requests.slice(before).map((r) => [r.method, r.path, r.status])).toEqual([
      ["HEAD", file, 200],
      ["GET", file, 206],
      ["GET", file, 304],
      ["GET", "/nothing-here", 404],
      ["GET", "/go", 404],
      ["GET", "/etc/passwd", 404],
      ["GET", "/go/../../../etc/passwd", 400],
    ]);

    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [join(REPO, "test/support/mirror/server.mjs"), "--dir", mirror.dir, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding("utf8").once("data", resolve);
        child.once("exit", (code) => reject(new Error(`server exited ${code}`)));
      });
      const { port } = JSON.parse(first) as { port: number };
      expect((await fetch(`http://127.0.0.1:${port}/arvados/pubkey.gpg`)).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
