// @ts-check
/**
 * The catalogue of the e2e mirror: which apt repositories it serves, where, and which stand-in
 * packages each holds (names, versions, dependencies, files). Pure data and text: no I/O here.
 *
 * Versions: every stand-in that one of arv-image's apt pins (APT_PINS in src/releases/versions.ts)
 * names has a version the pin accepts, next to a "decoy" (a newer release outside the pin, as
 * the real repositories have) so that the pins are what selects the version. build.mjs checks
 * this against the real APT_PINS and stops with a message naming this file when a pin moves.
 */
import { README_REF, maintScript, postinstUnits, postrmUnits, prermUnits, socketUnit, sq, stub, unit } from "./stubs.mjs";

/** The distribution the mirror serves (the e2e chroot's): Debian 12. */
export const DISTRO = { id: "debian", versionId: "12", codename: "bookworm", cudaDistro: "debian12", arch: "amd64" };
/**
 * Further Debian releases the Arvados and Docker repositories also serve, with the same
 * stand-ins (the e2e boot tier provisions Debian 13 too): `arvados/<codename>` with suites
 * `<codename>` and `<codename>-dev`, and suite `<codename>` in `docker/debian`. The CUDA
 * repository stays debian12 only.
 */
export const MORE_CODENAMES = ["trixie"];

/** Stand-in versions. Change here when arv-image's pins move (build.mjs says so). */
export const STANDIN = {
  arvados: { stable: "3.2.1-1", dev: "3.3.0~dev20260101000000-1" },
  docker: [
    { version: "5:28.5.2-1~debian.12~bookworm", decoy: false },
    { version: "5:29.1.3-1~debian.12~bookworm", decoy: true },
  ],
  containerd: [
    { version: "1.7.28-1", decoy: false },
    { version: "2.0.5-1", decoy: true },
  ],
  buildx: "0.29.1-1~debian.12~bookworm",
  compose: "2.40.3-1~debian.12~bookworm",
  cuda: [
    { version: "13.0.2-1", driver: "580.95.05-1", decoy: false },
    { version: "13.1.0-1", driver: "590.44.01-1", decoy: true },
  ],
  persistenced: "580.95.05-1",
  toolkit: [
    { version: "1.17.8-1", decoy: false },
    { version: "1.18.0-1", decoy: true },
  ],
  /** Version of the stand-in linux-headers-<release> packages (extras repository). */
  kernelHeaders: "0.0~arv.image.stand.in-1",
};

/** Upstream part of a Debian version: no epoch, no revision. @param {string} v */
export const upstream = (v) => v.replace(/^\d+:/, "").replace(/-[^-]*$/, "");

/**
 * @typedef {object} FileSpec
 * @property {string} path absolute path in the installed system
 * @property {string} [content] regular file content
 * @property {Buffer} [bytes] regular file content (binary)
 * @property {string} [symlink] symlink target
 * @property {number} [mode] default 0644 (0755 when content starts with "#!")
 */
/**
 * @typedef {object} PackageSpec
 * @property {string} name
 * @property {string} version
 * @property {"amd64" | "all"} arch
 * @property {string} [source] source package, when not the package's own name
 * @property {string} section
 * @property {string} real one line: what the real package is
 * @property {string[]} [notes] extended description: what the stand-in does and does not do
 * @property {string} [homepage]
 * @property {string} [depends]
 * @property {string} [recommends]
 * @property {string} [provides]
 * @property {string} [conflicts]
 * @property {string} [replaces]
 * @property {FileSpec[]} files
 * @property {string[]} [units] systemd units enabled on installation (as debhelper does)
 * @property {string} [postinst] extra postinst fragment
 * @property {string} [prerm] extra prerm fragment
 * @property {boolean} [decoy] a newer release that arv-image's pin must keep out
 */
/**
 * @typedef {object} RepoSpec
 * @property {string} id arvados | docker | cuda | nvidia-toolkit | extras
 * @property {string} title what the real repository is
 * @property {string} realUrl
 * @property {string} keyPath where the ASCII-armoured public key is served (relative to the mirror root)
 * @property {"dists" | "flat"} layout
 * @property {string} root repository root (relative): dists/ and pool/ under it, or the flat directory
 * @property {{ suite: string, component: string, packages: PackageSpec[] }[]} [suites] layout "dists"
 * @property {PackageSpec[]} [packages] layout "flat"
 * @property {(p: PackageSpec) => string} [pool] layout "dists": directory of a package's file under root
 * @property {Record<string, string>} release Origin, Label, Description of the Release files
 */

const DOCKER_HOME = "https://www.docker.com";
const NVIDIA_HOME = "https://developer.nvidia.com/cuda-zone";
const TOOLKIT_HOME = "https://github.com/NVIDIA/nvidia-container-toolkit";
const DKMS_NOTE = "Builds no kernel module: the stand-in postinst only says which kernels it would build for.";

/** @param {string} name @param {string} version @param {string} [source] */
const origin = (name, version, source) => `package ${name} ${version}${source && source !== name ? ` from source ${source}` : ""}`;

/** A /usr/bin stub. @param {string} pkg @param {string} version @param {Omit<import("./stubs.mjs").StubSpec, "origin">} s @param {string} [dir] */
function bin(pkg, version, s, dir = "/usr/bin") {
  return { path: `${dir}/${s.name}`, content: stub({ ...s, origin: origin(pkg, version) }), mode: 0o755 };
}

// ---------------------------------------------------------------------------------------------
// Arvados

/** @param {string} version */
function arvadosPackages(version) {
  const up = upstream(version);
  /** @type {PackageSpec[]} */
  const pkgs = [
    {
      name: "python3-arvados-fuse",
      version,
      arch: "amd64",
      section: "python",
      homepage: "https://arvados.org",
      real: "Arvados FUSE driver (arv-mount), with its Python SDK and FUSE dependencies",
      notes: ["Installs /usr/bin/arv-mount, which prints its version and mounts nothing.", "Depends on nothing (the real package needs python3, fuse3 and the Arvados SDK)."],
      files: [bin("python3-arvados-fuse", version, { name: "arv-mount", what: "the Arvados Keep FUSE driver", version: [`arv-mount ${up}`] })],
    },
    {
      name: "crunch-run",
      version,
      arch: "amd64",
      section: "admin",
      homepage: "https://arvados.org",
      real: "Arvados' container supervisor (a static Go binary), which the dispatcher runs on the node",
      notes: [
        "Installs /usr/bin/crunch-run, which prints its version (`crunch-run --version`, `crunch-run --list` lists nothing) and runs no container.",
        "Depends on nothing (the real package has no dependencies either: a static binary).",
      ],
      files: [
        bin("crunch-run", version, {
          name: "crunch-run",
          what: "the Arvados container supervisor",
          version: [`crunch-run ${up} (go1.25.6)`],
          versionArgs: ["--version", "-version"],
        }),
      ],
    },
    {
      name: "arvados-docker-cleaner",
      version,
      arch: "amd64",
      section: "admin",
      homepage: "https://arvados.org",
      real: "Arvados Docker image cleaner daemon and its systemd unit",
      notes: ["Installs a daemon that does nothing and its unit (enabled on installation, like the real one)."],
      files: [
        bin("arvados-docker-cleaner", version, {
          name: "arvados-docker-cleaner",
          what: "the Arvados Docker image cleaner",
          version: [`arvados-docker-cleaner ${up}`],
          otherwise: "daemon",
        }),
        {
          path: "/lib/systemd/system/arvados-docker-cleaner.service",
          content: unit({
            description: "Arvados Docker Image Cleaner",
            after: "network.target docker.service",
            assertPath: "/etc/arvados/docker-cleaner/docker-cleaner.json",
            exec: "/usr/bin/arvados-docker-cleaner",
            extra: ["Restart=always", "RestartSec=10s"],
          }),
        },
      ],
      units: ["arvados-docker-cleaner.service"],
    },
  ];
  return pkgs;
}

// ---------------------------------------------------------------------------------------------
// Docker

function dockerPackages() {
  /** @type {PackageSpec[]} */
  const pkgs = [];
  for (const c of STANDIN.containerd) {
    const v = c.version;
    const up = upstream(v);
    pkgs.push({
      name: "containerd.io",
      version: v,
      arch: "amd64",
      section: "devel",
      homepage: "https://containerd.io",
      decoy: c.decoy,
      real: `containerd ${up} and runc, as Docker packages them`,
      notes: ["Installs containerd (a daemon that does nothing), ctr, containerd-shim-runc-v2 and runc stand-ins, and containerd.service."],
      provides: "containerd, runc",
      conflicts: "containerd, runc",
      replaces: "containerd, runc",
      files: [
        bin("containerd.io", v, { name: "containerd", what: "containerd", version: [`containerd containerd.io ${up} stand-in`], otherwise: "daemon" }),
        bin("containerd.io", v, { name: "ctr", what: "containerd's CLI", version: [`ctr containerd.io ${up}`] }),
        bin("containerd.io", v, { name: "containerd-shim-runc-v2", what: "containerd's runc shim", version: [`containerd-shim-runc-v2 ${up}`] }),
        bin("containerd.io", v, { name: "runc", what: "runc", version: ["runc version 1.2.4 (stand-in)"] }),
        { path: "/etc/containerd/config.toml", content: `# arv-image e2e stand-in (${origin("containerd.io", v)}); see ${README_REF}\ndisabled_plugins = ["cri"]\n` },
        {
          path: "/lib/systemd/system/containerd.service",
          content: unit({ description: "containerd container runtime", after: "network.target local-fs.target", exec: "/usr/bin/containerd" }),
        },
      ],
      units: ["containerd.service"],
    });
  }
  for (const d of STANDIN.docker) {
    const v = d.version;
    const up = upstream(v);
    const build = `build stand-in`;
    const minContainerd = d.decoy ? "1.7.27" : "1.6.24";
    pkgs.push(
      {
        name: "docker-ce-cli",
        source: "docker-ce",
        version: v,
        arch: "amd64",
        section: "admin",
        homepage: DOCKER_HOME,
        decoy: d.decoy,
        real: `Docker CLI ${up}`,
        notes: ["Installs /usr/bin/docker, which prints its version and does nothing else."],
        recommends: "docker-buildx-plugin, docker-compose-plugin",
        conflicts: "docker (<< 1.5~), docker-engine, docker.io",
        replaces: "docker-ce (<< 5:0)",
        files: [bin("docker-ce-cli", v, { name: "docker", what: "the Docker CLI", version: [`Docker version ${up}, ${build}`] })],
      },
      {
        name: "docker-ce",
        version: v,
        arch: "amd64",
        section: "admin",
        homepage: DOCKER_HOME,
        decoy: d.decoy,
        real: `Docker Engine ${up} (dockerd) with docker.service and docker.socket`,
        notes: [
          "Installs dockerd (a daemon that does nothing), docker-proxy, docker-init, docker.service and docker.socket.",
          "Like the real postinst: adds the docker group and enables both units (starts them only under a running systemd).",
          "Depends only on containerd.io and docker-ce-cli (the real one also needs iptables, libseccomp2, libdevmapper).",
        ],
        depends: `containerd.io (>= ${minContainerd}), docker-ce-cli`,
        recommends: "docker-ce-rootless-extras",
        conflicts: "docker (<< 1.5~), docker-engine, docker.io",
        replaces: "docker-engine",
        files: [
          bin("docker-ce", v, { name: "dockerd", what: "the Docker daemon", version: [`Docker version ${up}, ${build}`], otherwise: "daemon" }),
          bin("docker-ce", v, { name: "docker-proxy", what: "Docker's userland proxy", version: [`docker-proxy ${up}`] }),
          bin("docker-ce", v, { name: "docker-init", what: "Docker's init (tini)", version: [`tini version 0.19.0 - stand-in`] }),
          {
            path: "/lib/systemd/system/docker.service",
            content: unit({
              description: "Docker Application Container Engine",
              after: "network-online.target docker.socket firewalld.service containerd.service time-set.target",
              wants: "network-online.target containerd.service",
              requires: "docker.socket",
              exec: "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock",
            }),
          },
          { path: "/lib/systemd/system/docker.socket", content: socketUnit({ description: "Docker Socket for the API", listen: "/run/docker.sock", group: "docker" }) },
        ],
        units: ["docker.socket", "docker.service"],
        postinst: `if [ "$1" = configure ] && ! getent group docker >/dev/null; then
  if command -v groupadd >/dev/null 2>&1; then groupadd --system docker; fi
fi
`,
      },
      {
        name: "docker-ce-rootless-extras",
        source: "docker-ce",
        version: v,
        arch: "amd64",
        section: "admin",
        homepage: DOCKER_HOME,
        decoy: d.decoy,
        real: `Docker rootless-mode scripts ${up} (recommended by docker-ce; arv-image installs without recommends)`,
        files: [bin("docker-ce-rootless-extras", v, { name: "dockerd-rootless.sh", what: "Docker's rootless launcher", version: [`dockerd-rootless.sh ${up}`] })],
      },
    );
  }
  pkgs.push(
    {
      name: "docker-buildx-plugin",
      version: STANDIN.buildx,
      arch: "amd64",
      section: "admin",
      homepage: DOCKER_HOME,
      real: "Docker Buildx CLI plugin",
      files: [
        bin(
          "docker-buildx-plugin",
          STANDIN.buildx,
          { name: "docker-buildx", what: "Docker Buildx", version: [`github.com/docker/buildx v${upstream(STANDIN.buildx)} stand-in`] },
          "/usr/libexec/docker/cli-plugins",
        ),
      ],
    },
    {
      name: "docker-compose-plugin",
      version: STANDIN.compose,
      arch: "amd64",
      section: "admin",
      homepage: DOCKER_HOME,
      real: "Docker Compose CLI plugin",
      files: [
        bin(
          "docker-compose-plugin",
          STANDIN.compose,
          { name: "docker-compose", what: "Docker Compose", version: [`Docker Compose version v${upstream(STANDIN.compose)}`] },
          "/usr/libexec/docker/cli-plugins",
        ),
      ],
    },
  );
  return pkgs;
}

// ---------------------------------------------------------------------------------------------
// NVIDIA CUDA repository

/** The apt source line NVIDIA's cuda-keyring installs (to NVIDIA's own server, as the real one). */
export const CUDA_KEYRING_LIST = {
  path: `/etc/apt/sources.list.d/cuda-${DISTRO.cudaDistro}-x86_64.list`,
  keyring: "/usr/share/keyrings/cuda-archive-keyring.gpg",
  line: `deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] https://developer.download.nvidia.com/compute/cuda/repos/${DISTRO.cudaDistro}/x86_64/ /`,
};

/**
 * @param {string} keyringVersion CUDA_KEYRING_VERSION
 * @param {Buffer} cudaKey the CUDA repository's public key (binary OpenPGP)
 */
function cudaPackages(keyringVersion, cudaKey) {
  /** @type {PackageSpec[]} */
  const pkgs = [
    {
      name: "cuda-keyring",
      version: keyringVersion,
      arch: "all",
      section: "multiverse/devel",
      homepage: NVIDIA_HOME,
      real: "NVIDIA's CUDA repository keyring and apt source",
      notes: [
        `Installs ${CUDA_KEYRING_LIST.keyring} (this mirror's CUDA repository key) and ${CUDA_KEYRING_LIST.path},`,
        "the one-line source NVIDIA's package ships: to NVIDIA's server, not to this mirror (30-nvidia replaces it).",
      ],
      files: [
        { path: CUDA_KEYRING_LIST.keyring, bytes: cudaKey },
        { path: CUDA_KEYRING_LIST.path, content: `${CUDA_KEYRING_LIST.line}\n` },
      ],
    },
    {
      name: "nvidia-persistenced",
      version: STANDIN.persistenced,
      arch: "amd64",
      section: "NVIDIA",
      homepage: NVIDIA_HOME,
      real: "NVIDIA persistence daemon and its unit",
      notes: ["Installs a daemon that does nothing and nvidia-persistenced.service, enabled on installation like the real one."],
      files: [
        bin("nvidia-persistenced", STANDIN.persistenced, {
          name: "nvidia-persistenced",
          what: "the NVIDIA persistence daemon",
          version: [`nvidia-persistenced:  version ${upstream(STANDIN.persistenced)}`],
          otherwise: "daemon",
        }),
        { path: "/lib/systemd/system/nvidia-persistenced.service", content: unit({ description: "NVIDIA Persistence Daemon", exec: "/usr/bin/nvidia-persistenced --verbose" }) },
      ],
      units: ["nvidia-persistenced.service"],
    },
  ];
  for (const c of STANDIN.cuda) {
    const cv = c.version;
    const [maj, min] = upstream(cv).split(".");
    const mm = `${maj}-${min}`;
    const dot = `${maj}.${min}`;
    const dv = c.driver;
    const dup = upstream(dv);
    const src = "nvidia-graphics-drivers";
    pkgs.push(
      {
        name: "cuda",
        version: cv,
        arch: "amd64",
        section: "multiverse/devel",
        homepage: NVIDIA_HOME,
        decoy: c.decoy,
        real: `CUDA ${upstream(cv)} meta-package (toolkit, runtime and drivers)`,
        depends: `cuda-${mm} (>= ${upstream(cv)})`,
        files: [],
      },
      {
        name: `cuda-${mm}`,
        version: cv,
        arch: "amd64",
        section: "multiverse/devel",
        homepage: NVIDIA_HOME,
        real: `CUDA ${dot} meta-package`,
        depends: `cuda-runtime-${mm} (>= ${upstream(cv)}), cuda-toolkit-${mm} (>= ${upstream(cv)})`,
        files: [],
      },
      {
        name: `cuda-runtime-${mm}`,
        version: cv,
        arch: "amd64",
        section: "multiverse/devel",
        homepage: NVIDIA_HOME,
        real: `CUDA ${dot} runtime meta-package (libraries and drivers)`,
        depends: `cuda-drivers (>= ${dup})`,
        files: [],
      },
      {
        name: `cuda-toolkit-${mm}`,
        version: cv,
        arch: "amd64",
        section: "multiverse/devel",
        homepage: NVIDIA_HOME,
        real: `CUDA ${dot} toolkit (compilers, libraries, tools: several GB)`,
        notes: [`Installs /usr/local/cuda-${dot}/bin/nvcc, which prints its version and compiles nothing, and the /usr/local/cuda alternative.`],
        files: [
          bin(
            `cuda-toolkit-${mm}`,
            cv,
            {
              name: "nvcc",
              what: "the CUDA compiler driver",
              version: ["nvcc: NVIDIA (R) Cuda compiler driver", `Cuda compilation tools, release ${dot}, V${upstream(cv)} (stand-in)`],
            },
            `/usr/local/cuda-${dot}/bin`,
          ),
          {
            path: `/usr/local/cuda-${dot}/version.json`,
            content: `${JSON.stringify({ cuda: { name: "CUDA SDK", version: upstream(cv) }, "arv-image": "e2e stand-in" }, null, 2)}\n`,
          },
        ],
        postinst: `if [ "$1" = configure ]; then
  update-alternatives --install /usr/local/cuda cuda /usr/local/cuda-${dot} ${Number(maj) * 10 + Number(min)}
fi
`,
        prerm: `if [ "$1" = remove ]; then
  update-alternatives --remove cuda /usr/local/cuda-${dot}
fi
`,
      },
      {
        name: "cuda-drivers",
        version: dv,
        arch: "amd64",
        section: "multiverse/devel",
        homepage: NVIDIA_HOME,
        decoy: c.decoy,
        real: `NVIDIA driver ${dup} meta-package`,
        depends: `nvidia-driver (>= ${dup}), nvidia-kernel-open-dkms (>= ${dup}) | nvidia-kernel-dkms (>= ${dup}), nvidia-persistenced`,
        files: [],
      },
      {
        name: "nvidia-driver",
        source: src,
        version: dv,
        arch: "amd64",
        section: "non-free/libs",
        homepage: NVIDIA_HOME,
        decoy: c.decoy,
        real: `NVIDIA driver ${dup} (libraries, X driver, tools)`,
        depends: `nvidia-kernel-support (= ${dv}), nvidia-smi (= ${dv}), nvidia-kernel-open-dkms (= ${dv}) | nvidia-kernel-dkms (= ${dv})`,
        files: [],
      },
      {
        name: "nvidia-smi",
        source: src,
        version: dv,
        arch: "amd64",
        section: "non-free/utils",
        homepage: NVIDIA_HOME,
        decoy: c.decoy,
        real: `NVIDIA System Management Interface ${dup}`,
        notes: ["nvidia-smi --version prints the version; otherwise it fails as the real one does without a GPU (status 9)."],
        files: [
          bin("nvidia-smi", dv, {
            name: "nvidia-smi",
            what: "the NVIDIA System Management Interface",
            version: [`NVIDIA-SMI version  : ${dup}`, `DRIVER version      : ${dup}`],
            versionArgs: ["--version"],
            otherwise: {
              status: 9,
              lines: ["NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."],
            },
          }),
        ],
      },
      {
        name: "nvidia-kernel-support",
        source: src,
        version: dv,
        arch: "amd64",
        section: "non-free/kernel",
        homepage: NVIDIA_HOME,
        decoy: c.decoy,
        real: `NVIDIA kernel module support files ${dup}`,
        notes: ["Ships /etc/modules-load.d/nvidia.conf (which 30-nvidia renames to .avail) and /etc/modprobe.d/nvidia.conf."],
        files: [
          { path: "/etc/modules-load.d/nvidia.conf", content: `# arv-image e2e stand-in (${origin("nvidia-kernel-support", dv, src)})\nnvidia\nnvidia-drm\nnvidia-uvm\n` },
          { path: "/etc/modprobe.d/nvidia.conf", content: `# arv-image e2e stand-in (${origin("nvidia-kernel-support", dv, src)})\noptions nvidia-drm modeset=1\n` },
        ],
      },
      ...["nvidia-kernel-open-dkms", "nvidia-kernel-dkms"].map(
        /** @returns {PackageSpec} */ (name) => ({
          name,
          source: src,
          version: dv,
          arch: "amd64",
          section: "non-free/kernel",
          homepage: NVIDIA_HOME,
          decoy: c.decoy,
          real: `NVIDIA ${name.includes("open") ? "open " : ""}kernel module ${dup} source, built by DKMS for each installed kernel`,
          notes: [DKMS_NOTE, "Depends on neither dkms nor kernel headers."],
          files: [{ path: `/usr/src/nvidia-current-${dup}/README.stand-in`, content: `arv-image e2e stand-in for ${name} ${dv}: no module source here. See ${README_REF}.\n` }],
          postinst: `if [ "$1" = configure ]; then
  for k in /lib/modules/*; do
    [ -d "$k" ] && echo "${name} (arv-image e2e stand-in): would build the nvidia ${dup} modules for \${k##*/} with DKMS"
  done
fi
`,
        }),
      ),
    );
  }
  return pkgs;
}

// ---------------------------------------------------------------------------------------------
// NVIDIA container toolkit repository

function toolkitPackages() {
  /** @type {PackageSpec[]} */
  const pkgs = [];
  for (const t of STANDIN.toolkit) {
    const v = t.version;
    const up = upstream(v);
    pkgs.push(
      {
        name: "libnvidia-container1",
        source: "libnvidia-container",
        version: v,
        arch: "amd64",
        section: "libs",
        homepage: "https://github.com/NVIDIA/libnvidia-container",
        decoy: t.decoy,
        real: `NVIDIA container runtime library ${up}`,
        notes: ["Ships no shared library (a fake one would upset ldconfig), only a note under /usr/share/doc."],
        files: [{ path: "/usr/share/doc/libnvidia-container1/README.stand-in", content: `arv-image e2e stand-in for libnvidia-container1 ${v}; see ${README_REF}.\n` }],
      },
      {
        name: "libnvidia-container-tools",
        source: "libnvidia-container",
        version: v,
        arch: "amd64",
        section: "utils",
        homepage: "https://github.com/NVIDIA/libnvidia-container",
        decoy: t.decoy,
        real: `NVIDIA container runtime library tools ${up} (nvidia-container-cli)`,
        depends: `libnvidia-container1 (>= ${v})`,
        files: [bin("libnvidia-container-tools", v, { name: "nvidia-container-cli", what: "the NVIDIA container CLI", version: [`cli-version: ${up}`, `lib-version: ${up}`] })],
      },
      {
        name: "nvidia-container-toolkit-base",
        source: "nvidia-container-toolkit",
        version: v,
        arch: "amd64",
        section: "utils",
        homepage: TOOLKIT_HOME,
        decoy: t.decoy,
        real: `NVIDIA Container Toolkit base ${up} (nvidia-ctk, nvidia-container-runtime)`,
        files: [
          bin("nvidia-container-toolkit-base", v, {
            name: "nvidia-ctk",
            what: "the NVIDIA Container Toolkit CLI",
            version: [`NVIDIA Container Toolkit CLI version ${up}`, "commit: stand-in"],
          }),
          bin("nvidia-container-toolkit-base", v, { name: "nvidia-container-runtime", what: "the NVIDIA container runtime", version: [`NVIDIA Container Runtime version ${up}`] }),
          {
            path: "/etc/nvidia-container-runtime/config.toml",
            content: `# arv-image e2e stand-in (${origin("nvidia-container-toolkit-base", v)}); see ${README_REF}\n[nvidia-container-cli]\nldconfig = "@/sbin/ldconfig.real"\n`,
          },
        ],
      },
      {
        name: "nvidia-container-toolkit",
        source: "nvidia-container-toolkit",
        version: v,
        arch: "amd64",
        section: "utils",
        homepage: TOOLKIT_HOME,
        decoy: t.decoy,
        real: `NVIDIA Container Toolkit ${up} (the runtime hook)`,
        depends: `nvidia-container-toolkit-base (= ${v}), libnvidia-container-tools (>= ${v}), libnvidia-container-tools (<< 2.0.0)`,
        files: [
          bin("nvidia-container-toolkit", v, {
            name: "nvidia-container-runtime-hook",
            what: "the NVIDIA container runtime hook",
            version: [`NVIDIA Container Runtime Hook version ${up}`],
          }),
          { path: "/usr/bin/nvidia-container-toolkit", symlink: "nvidia-container-runtime-hook" },
        ],
      },
    );
  }
  return pkgs;
}

// ---------------------------------------------------------------------------------------------
// Extras: kernel headers for the chroot's (i.e. the host's) kernel

/** @param {string} release e.g. 6.1.0-28-amd64 */
function kernelHeaders(release) {
  if (!/^[a-z0-9][a-z0-9.+-]*$/.test(release)) throw new Error(`kernel release "${release}" cannot be part of a Debian package name`);
  /** @type {PackageSpec} */
  const p = {
    name: `linux-headers-${release}`,
    version: STANDIN.kernelHeaders,
    arch: "amd64",
    section: "kernel",
    real: `Debian's header files for Linux ${release} (for building modules)`,
    notes: [
      "For chroots whose `uname -r` is the host's kernel, which Debian has no headers package for.",
      "Installs a README under /usr/src and the /lib/modules/<release>/build link only.",
    ],
    files: [
      { path: `/usr/src/linux-headers-${release}/README.stand-in`, content: `arv-image e2e stand-in: no kernel headers here. See ${README_REF}.\n` },
      { path: `/lib/modules/${release}/build`, symlink: `/usr/src/linux-headers-${release}` },
    ],
  };
  return p;
}

// ---------------------------------------------------------------------------------------------

/**
 * The repositories, with their packages.
 * @param {{ cudaKeyringVersion: string, cudaKey: Buffer, kernelReleases: string[] }} o
 * @returns {RepoSpec[]}
 */
export function repositories(o) {
  const { codename, id, cudaDistro } = DISTRO;
  /** @param {string} cn @returns {RepoSpec} */
  const arvados = (cn) => ({
    id: "arvados",
    title: "Arvados apt repository",
    realUrl: "https://apt.arvados.org",
    keyPath: "arvados/pubkey.gpg",
    layout: "dists",
    root: `arvados/${cn}`,
    suites: [
      { suite: cn, component: "main", packages: arvadosPackages(STANDIN.arvados.stable) },
      { suite: `${cn}-dev`, component: "main", packages: arvadosPackages(STANDIN.arvados.dev) },
    ],
    pool: (p) => `pool/main/${(p.source ?? p.name)[0]}/${p.source ?? p.name}`,
    release: { Origin: "Arvados", Label: "Arvados (arv-image e2e stand-in)", Description: "arv-image e2e stand-in for apt.arvados.org" },
  });
  /** @type {RepoSpec[]} */
  const repos = [
    arvados(codename),
    ...MORE_CODENAMES.map(arvados),
    {
      id: "docker",
      title: "Docker CE apt repository",
      realUrl: `https://download.docker.com/linux/${id}`,
      keyPath: `docker/${id}/gpg`,
      layout: "dists",
      root: `docker/${id}`,
      suites: [codename, ...MORE_CODENAMES].map((cn) => ({ suite: cn, component: "stable", packages: dockerPackages() })),
      pool: () => `pool/stable/${DISTRO.arch}`,
      release: { Origin: "Docker", Label: "Docker CE (arv-image e2e stand-in)", Description: "arv-image e2e stand-in for download.docker.com" },
    },
    {
      id: "cuda",
      title: "NVIDIA CUDA repository",
      realUrl: `https://developer.download.nvidia.com/compute/cuda/repos/${cudaDistro}/x86_64/`,
      keyPath: `cuda/${cudaDistro}/x86_64/cuda-archive-keyring.asc`,
      layout: "flat",
      root: `cuda/${cudaDistro}/x86_64`,
      packages: cudaPackages(o.cudaKeyringVersion, o.cudaKey),
      release: { Origin: "NVIDIA", Label: "NVIDIA CUDA (arv-image e2e stand-in)", Description: "arv-image e2e stand-in for NVIDIA's CUDA repository" },
    },
    {
      id: "nvidia-toolkit",
      title: "NVIDIA container toolkit repository",
      realUrl: "https://nvidia.github.io/libnvidia-container/stable/deb/amd64",
      keyPath: "nvidia-toolkit/gpgkey",
      layout: "flat",
      root: "nvidia-toolkit/stable/deb/amd64",
      packages: toolkitPackages(),
      release: {
        Origin: "https://nvidia.github.io/libnvidia-container/stable",
        Label: "NVIDIA CONTAINER TOOLKIT (arv-image e2e stand-in)",
        Description: "arv-image e2e stand-in for NVIDIA's container toolkit repository",
      },
    },
  ];
  if (o.kernelReleases.length > 0) {
    repos.push({
      id: "extras",
      title: "(no real counterpart) kernel headers for the chroot's running kernel",
      realUrl: "",
      keyPath: "extras/key.asc",
      layout: "flat",
      root: "extras",
      packages: [...new Set(o.kernelReleases)].sort().map(kernelHeaders),
      release: { Origin: "arv-image e2e", Label: "arv-image e2e extras", Description: "arv-image e2e: stand-in kernel headers for the chroot's running kernel" },
    });
  }
  return repos;
}

/** The maintainer scripts of a package. @param {PackageSpec} p */
export function maintainerScripts(p) {
  const units = p.units ?? [];
  /** @type {Record<string, string>} */
  const out = {};
  const postinst = maintScript([p.postinst ?? "", postinstUnits(units)]);
  const prerm = maintScript([prermUnits(units), p.prerm ?? ""]);
  const postrm = maintScript([postrmUnits(units)]);
  if (postinst) out.postinst = postinst;
  if (prerm) out.prerm = prerm;
  if (postrm) out.postrm = postrm;
  return out;
}

export { sq };
