// @ts-check
/**
 * The stand-in download archives: the Go toolchain, the SingularityCE source release and the
 * amazon-ebs-autoscale source archive, as reproducible .tar.gz files.
 */
import { chmod, lutimes, mkdir, readdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { README_REF, sq } from "./stubs.mjs";
import { run } from "./util.mjs";

/** @typedef {{ path: string, content: string, mode?: number }} TreeFile */

/**
 * Writes files (paths relative to dir, directories 0755) and returns a .tar.gz of `top`.
 * @param {string} dir scratch directory
 * @param {string} top the archive's top-level directory
 * @param {TreeFile[]} files paths relative to top
 * @param {number} epoch
 * @param {string[]} [tarOptions] extra options (format)
 */
async function tarball(dir, top, files, epoch, tarOptions = ["--format=gnu"]) {
  for (const f of files) {
    const dest = join(dir, top, f.path);
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(dest, f.content);
    await chmod(dest, f.mode ?? (f.content.startsWith("#!") ? 0o755 : 0o644));
  }
  /** @param {string} d */
  const fix = async (d) => {
    await chmod(d, 0o755);
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await fix(join(d, e.name));
      await lutimes(join(d, e.name), epoch, epoch);
    }
    await lutimes(d, epoch, epoch);
  };
  await fix(join(dir, top));
  const { stdout } = await run("tar", ["--sort=name", `--mtime=@${epoch}`, "--owner=0", "--group=0", "--numeric-owner", ...tarOptions, "-C", dir, "-cf", "-", top], {
    env: { ...process.env, LC_ALL: "C" },
  });
  return gzipSync(stdout, { level: 9 });
}

// ---------------------------------------------------------------------------------------------
// Go

/** @param {string} goVersion e.g. 1.21.13 */
function goStub(goVersion) {
  return `#!/bin/sh
# arv-image e2e stand-in for the Go ${goVersion} toolchain (go.dev/dl/go${goVersion}.linux-amd64.tar.gz).
# Knows three commands: \`go version\`; \`go env [NAME...]\`; and \`go build [-o OUT] DIR\` of a
# stand-in package (a directory with a main.sh, "compiled" by copying it to OUT). Anything else
# fails (status 2). Uses its build cache the way go does (GOCACHE, else $XDG_CACHE_HOME/go-build,
# else $HOME/.cache/go-build, else an error). See ${README_REF}.
set -eu
GOVERSION=go${goVersion}
self=$(readlink -f -- "$0")
GOROOT=$(dirname -- "$(dirname -- "$self")")

cache_dir() {
  if [ -n "\${GOCACHE-}" ]; then printf '%s\\n' "$GOCACHE"
  elif [ -n "\${XDG_CACHE_HOME-}" ]; then printf '%s\\n' "$XDG_CACHE_HOME/go-build"
  elif [ -n "\${HOME-}" ]; then printf '%s\\n' "$HOME/.cache/go-build"
  else
    echo 'build cache is required, but could not be located: GOCACHE is not defined and neither $XDG_CACHE_HOME nor $HOME are defined' >&2
    return 1
  fi
}
gopath() {
  if [ -n "\${GOPATH-}" ]; then printf '%s\\n' "$GOPATH"
  elif [ -n "\${HOME-}" ]; then printf '%s\\n' "$HOME/go"
  else printf '\\n'
  fi
}
env_value() {
  case $1 in
    GOROOT) printf '%s\\n' "$GOROOT" ;;
    GOVERSION) printf '%s\\n' "$GOVERSION" ;;
    GOOS) printf 'linux\\n' ;;
    GOARCH) printf 'amd64\\n' ;;
    GOCACHE) cache_dir ;;
    GOPATH) gopath ;;
    GOMODCACHE) if [ -n "\${GOMODCACHE-}" ]; then printf '%s\\n' "$GOMODCACHE"; else printf '%s/pkg/mod\\n' "$(gopath)"; fi ;;
    GOTOOLCHAIN) printf '%s\\n' "\${GOTOOLCHAIN-auto}" ;;
    GOFLAGS) printf '%s\\n' "\${GOFLAGS-}" ;;
    CGO_ENABLED) printf '1\\n' ;;
    *) printf '\\n' ;;
  esac
}

cmd=\${1-}
[ $# -gt 0 ] && shift
case $cmd in
  version)
    printf 'go version %s linux/amd64\\n' "$GOVERSION"
    ;;
  env)
    if [ $# -eq 0 ]; then
      for name in CGO_ENABLED GOARCH GOCACHE GOFLAGS GOMODCACHE GOOS GOPATH GOROOT GOTOOLCHAIN GOVERSION; do
        printf "%s='%s'\\n" "$name" "$(env_value "$name")"
      done
    else
      for name in "$@"; do env_value "$name"; done
    fi
    ;;
  build)
    out=
    pkg=
    while [ $# -gt 0 ]; do
      case $1 in
        -o) out=\${2-}; shift ;;
        -o=*) out=\${1#-o=} ;;
        -ldflags | -gcflags | -asmflags | -tags | -buildmode | -mod | -modfile | -p | -pkgdir | -toolexec | -overlay | -installsuffix) shift ;;
        -*) ;;
        *)
          [ -z "$pkg" ] || { echo "go build: the stand-in toolchain builds one package at a time" >&2; exit 2; }
          pkg=$1
          ;;
      esac
      shift
    done
    [ -n "$pkg" ] || pkg=.
    if [ ! -f "$pkg/main.sh" ]; then
      echo "go build $pkg: not a stand-in package (no main.sh): the arv-image e2e stand-in Go cannot compile real Go code" >&2
      exit 2
    fi
    cache=$(cache_dir)
    mkdir -p -- "$cache"
    printf '%s\\n' "$(cd -- "$pkg" && pwd)" >>"$cache/stand-in-builds.log"
    name=$(basename -- "$(cd -- "$pkg" && pwd)")
    [ -n "$out" ] || out=./$name
    [ -d "$out" ] && out=$out/$name
    cp -- "$pkg/main.sh" "$out.tmp.$$"
    chmod 0755 "$out.tmp.$$"
    mv -f -- "$out.tmp.$$" "$out"
    ;;
  *)
    echo "go $cmd: not supported by the arv-image e2e stand-in Go toolchain (only version, env and build of stand-in packages); see ${README_REF}" >&2
    exit 2
    ;;
esac
`;
}

/** @param {string} dir @param {string} goVersion @param {number} epoch */
export async function goArchive(dir, goVersion, epoch) {
  const files = [
    { path: "VERSION", content: `go${goVersion}\n` },
    { path: "bin/go", content: goStub(goVersion) },
    {
      path: "bin/gofmt",
      content: `#!/bin/sh\n# arv-image e2e stand-in for gofmt (Go ${goVersion}); see ${README_REF}\necho "gofmt: arv-image e2e stand-in; formats nothing" >&2\nexit 2\n`,
    },
    {
      path: "README.stand-in.md",
      content: `# Stand-in for the Go ${goVersion} toolchain\n\nBuilt by arv-image's e2e mirror; see ${README_REF}. bin/go knows \`version\`, \`env\` and\n\`build\` of stand-in packages (a directory with a main.sh, copied to the output). It compiles no Go code.\n`,
    },
  ];
  return tarball(dir, "go", files, epoch);
}

// ---------------------------------------------------------------------------------------------
// SingularityCE

/** Stand-in minimum Go version of the SingularityCE build (the real one's is in its INSTALL.md). */
export const SINGULARITY_MIN_GO = "1.17";

/** @param {string} version */
function mconfig(version) {
  const [minMajor, minMinor] = SINGULARITY_MIN_GO.split(".");
  return `#!/bin/sh
# arv-image e2e stand-in for SingularityCE ${version}'s mconfig; see ${README_REF}.
# Like the real one: checks for go (>= ${SINGULARITY_MIN_GO}) in PATH and a C compiler, then writes
# BUILDDIR/Makefile for the given --prefix. Its Makefile "builds" singularity with \`go build\`
# (the stand-in go copies cmd/singularity/main.sh), compiles a tiny C starter with cc, and installs
# bin/singularity, bin/run-singularity, libexec/singularity/bin/starter and
# etc/singularity/singularity.conf under the prefix.
set -eu
prefix=/usr/local
builddir=builddir
sysconfdir=
localstatedir=
usage() {
  echo "usage: ./mconfig [--prefix=DIR] [-b BUILDDIR] [--sysconfdir=DIR] [--localstatedir=DIR] [--with(out)-FEATURE] (arv-image e2e stand-in)"
}
while [ $# -gt 0 ]; do
  case $1 in
    --prefix=*) prefix=\${1#--prefix=} ;;
    --prefix) prefix=\${2:?--prefix needs a directory}; shift ;;
    -b) builddir=\${2:?-b needs a directory}; shift ;;
    --sysconfdir=*) sysconfdir=\${1#*=} ;;
    --localstatedir=*) localstatedir=\${1#*=} ;;
    --with-* | --without-* | -v) ;;
    -h | --help) usage; exit 0 ;;
    *) echo "mconfig: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
case $prefix in /*) ;; *) echo "mconfig: the prefix must be an absolute path: $prefix" >&2; exit 2 ;; esac
[ -n "$sysconfdir" ] || sysconfdir=$prefix/etc
[ -n "$localstatedir" ] || localstatedir=$prefix/var
srcdir=$(cd -- "$(dirname -- "$0")" && pwd)

echo "Configuring SingularityCE ${version} (arv-image e2e stand-in) for $prefix"
printf ' checking: go compiler... '
if ! command -v go >/dev/null 2>&1; then
  echo "no"
  echo "ERROR: go compiler not found in PATH (install Go >= ${SINGULARITY_MIN_GO})" >&2
  exit 2
fi
goversion=$(go version) || { echo "ERROR: 'go version' failed" >&2; exit 2; }
gov=\${goversion#go version go}
gov=\${gov%% *}
major=\${gov%%.*}
rest=\${gov#*.}
minor=\${rest%%.*}
case $major$minor in *[!0-9]* | '') echo "ERROR: cannot read the Go version from: $goversion" >&2; exit 2 ;; esac
if [ "$major" -lt ${minMajor} ] || { [ "$major" -eq ${minMajor} ] && [ "$minor" -lt ${minMinor} ]; }; then
  echo "ERROR: go $gov is too old: SingularityCE ${version} needs >= ${SINGULARITY_MIN_GO}" >&2
  exit 2
fi
echo "$gov"
cc=\${CC:-cc}
printf ' checking: C compiler... '
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "no"
  echo "ERROR: no C compiler ($cc) found (install build-essential)" >&2
  exit 2
fi
echo "$cc"
mkdir -p -- "$builddir"
tab=$(printf '\\t')
sed "s/^>/$tab/" >"$builddir/Makefile" <<EOF
# Generated by the arv-image e2e stand-in mconfig of SingularityCE ${version}.
SRCDIR := $srcdir
PREFIX := $prefix
SYSCONFDIR := $sysconfdir
LOCALSTATEDIR := $localstatedir
LIBEXECDIR := $prefix/libexec
CC := $cc
DESTDIR ?=

all: singularity run-singularity starter singularity.conf

singularity: \\$(SRCDIR)/cmd/singularity/main.sh
>go build -o singularity.out \\$(SRCDIR)/cmd/singularity
>sed -e 's|@PREFIX@|\\$(PREFIX)|g' -e 's|@SYSCONFDIR@|\\$(SYSCONFDIR)|g' -e 's|@LIBEXECDIR@|\\$(LIBEXECDIR)|g' -e 's|@LOCALSTATEDIR@|\\$(LOCALSTATEDIR)|g' singularity.out >\\$@
>chmod 0755 \\$@
>rm -f singularity.out

starter: \\$(SRCDIR)/cmd/starter/starter.c
>\\$(CC) -O2 -o \\$@ \\$<

run-singularity: \\$(SRCDIR)/scripts/run-singularity
>cp \\$< \\$@
>chmod 0755 \\$@

singularity.conf: \\$(SRCDIR)/etc/conf/singularity.conf
>cp \\$< \\$@

install: all
>install -d \\$(DESTDIR)\\$(PREFIX)/bin \\$(DESTDIR)\\$(SYSCONFDIR)/singularity \\$(DESTDIR)\\$(LIBEXECDIR)/singularity/bin \\$(DESTDIR)\\$(LOCALSTATEDIR)/singularity/mnt/session
>install -m 0755 singularity \\$(DESTDIR)\\$(PREFIX)/bin/singularity
>install -m 0755 run-singularity \\$(DESTDIR)\\$(PREFIX)/bin/run-singularity
>install -m 0755 starter \\$(DESTDIR)\\$(LIBEXECDIR)/singularity/bin/starter
>install -m 0644 singularity.conf \\$(DESTDIR)\\$(SYSCONFDIR)/singularity/singularity.conf

.PHONY: all install
EOF
echo "Wrote $builddir/Makefile: now run 'make -C $builddir' and 'make -C $builddir install'"
`;
}

/** @param {string} version */
function singularityMain(version) {
  const ident = `singularity: arv-image e2e stand-in for SingularityCE ${version} (built from its stand-in source release); not the real program`;
  return `#!/bin/sh
# ${ident}.
# "Compiled" by the stand-in go from cmd/singularity/main.sh; the Makefile filled in the paths. See ${README_REF}.
case "\${1-}" in
  --version | version)
    echo "singularity-ce version ${version}"
    ;;
  buildcfg)
    printf '%s\\n' "PREFIX=@PREFIX@" "SYSCONFDIR=@SYSCONFDIR@" "LIBEXECDIR=@LIBEXECDIR@" "LOCALSTATEDIR=@LOCALSTATEDIR@" "SINGULARITY_CONF_FILE=@SYSCONFDIR@/singularity/singularity.conf"
    ;;
  --help | -h | help)
    echo ${sq(ident + ".")}
    ;;
  *)
    printf '%s: %s\\n' ${sq(ident)} "doing nothing for: $*" >&2
    ;;
esac
exit 0
`;
}

/** An excerpt of SingularityCE's etc/conf/singularity.conf, with the mksquashfs settings. @param {string} version */
function singularityConf(version) {
  return `# SINGULARITY.CONF
# This is the global configuration file for Singularity. This file controls
# what the container is allowed to do on a particular host, and as a result
# this file must be owned by root.
#
# arv-image e2e stand-in: an excerpt of SingularityCE ${version}'s singularity.conf; see ${README_REF}.

# ALLOW SETUID: [BOOL]
# DEFAULT: yes
allow setuid = yes

# MAX LOOP DEVICES: [INT]
# DEFAULT: 256
max loop devices = 256

# MKSQUASHFS PROCS: [UINT]
# DEFAULT: 0 (All CPUs)
# This allows the administrator to specify the number of CPUs for mksquashfs
# to use when building an image.  The fewer processors the longer it takes.
# To enable it to use all available CPU's set this to 0.
# mksquashfs procs = 0

# MKSQUASHFS MEM: [STRING]
# DEFAULT: Unlimited
# This allows the administrator to set the maximum amount of memory for mkswapfs
# to use when building an image.  e.g. 1G for 1gb or 500M for 500mb. Restricting memory
# can have a major impact on the time it takes mksquashfs to create the image.
# NOTE: This fuctionality did not exist in squashfs-tools prior to version 4.3
# If using an earlier version you should not set this.
# mksquashfs mem = 1G

# SHARED LOOP DEVICES: [BOOL]
# DEFAULT: no
shared loop devices = no
`;
}

/** @param {string} dir @param {string} version @param {number} epoch */
export async function singularityArchive(dir, version, epoch) {
  const files = [
    { path: "VERSION", content: `${version}\n` },
    { path: "mconfig", content: mconfig(version), mode: 0o755 },
    { path: "go.mod", content: "module github.com/sylabs/singularity\n\ngo 1.17\n" },
    { path: "cmd/singularity/main.sh", content: singularityMain(version), mode: 0o644 },
    {
      path: "cmd/starter/starter.c",
      content: `/* arv-image e2e stand-in for SingularityCE ${version}'s starter: compiled with cc so that the
 * build needs a working C toolchain, as the real one does. See ${README_REF}. */
#include <stdio.h>

int main(void) {
  puts("starter: arv-image e2e stand-in for SingularityCE ${version}'s starter");
  return 0;
}
`,
    },
    { path: "scripts/run-singularity", content: `#!/bin/sh\n# SingularityCE ${version} run-singularity (arv-image e2e stand-in; see ${README_REF})\nexec singularity run "$@"\n` },
    { path: "etc/conf/singularity.conf", content: singularityConf(version) },
    {
      path: "README.stand-in.md",
      content: `# Stand-in for the SingularityCE ${version} source release\n\nBuilt by arv-image's e2e mirror; see ${README_REF}.\n\n    ./mconfig --prefix=/opt/singularity && make -C builddir && make -C builddir install\n\ninstalls a singularity that prints \`singularity-ce version ${version}\` and does nothing else.\n`,
    },
  ];
  return tarball(dir, `singularity-ce-${version}`, files, epoch);
}

// ---------------------------------------------------------------------------------------------
// amazon-ebs-autoscale

/** @param {string} commit */
function autoscalerInstall(commit) {
  return `#!/bin/bash
# arv-image e2e stand-in for amazon-ebs-autoscale's install.sh (Arvados' fork, commit ${commit}).
# The real installer creates, attaches and formats an EBS volume, mounts it, writes
# /etc/ebs-autoscale.json and starts ebs-autoscale.service. This one checks its options, says
# what the real one would do, and changes nothing. See ${README_REF}.
set -euo pipefail
mountpoint=/scratch
filesystem=btrfs
imdsv2=false
usage() {
  cat <<'USAGE'
usage: install.sh [options] (arv-image e2e stand-in)
  -m, --mountpoint DIR          mount point (default /scratch)
  -f, --file-system FS          btrfs | lvm.ext4 (default btrfs)
  -d, --initial-device DEVICE   -s, --initial-size GB    -t, --volume-type TYPE
  --volume-iops N  --volume-throughput N  --min-ebs-volume-size GB  --max-ebs-volume-size GB
  --max-logical-volume-size GB  --max-attached-volumes N  --max-created-volumes N
  --imdsv2                      use IMDSv2 for instance metadata
USAGE
}
while (($#)); do
  case $1 in
    -m | --mountpoint) mountpoint=\${2:?}; shift ;;
    -f | --file-system) filesystem=\${2:?}; shift ;;
    -d | --initial-device | -s | --initial-size | -t | --volume-type | --volume-iops | --volume-throughput | \\
      --min-ebs-volume-size | --max-ebs-volume-size | --max-logical-volume-size | --max-attached-volumes | --max-created-volumes | --max-total-created-size)
      : "\${2:?$1 needs a value}"; shift ;;
    --imdsv2) imdsv2=true ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 1 ;;
  esac
  shift
done
case $filesystem in btrfs | lvm.ext4) ;; *) echo "install.sh: unsupported file system: $filesystem" >&2; exit 1 ;; esac
echo "amazon-ebs-autoscale install.sh (arv-image e2e stand-in, commit ${commit}): the real one would create and attach"
echo "an EBS volume, make $filesystem on it, mount it on $mountpoint (IMDSv2: $imdsv2), write /etc/ebs-autoscale.json"
echo "from config/ebs-autoscale.json and start ebs-autoscale.service. Nothing was changed."
`;
}

/** @param {string} dir @param {string} commit @param {number} epoch */
export async function autoscalerArchive(dir, commit, epoch) {
  /** @param {string} name @param {string} what */
  const binStub = (name, what) =>
    `#!/bin/bash\n# arv-image e2e stand-in for amazon-ebs-autoscale's ${name} (${what}); see ${README_REF}\necho "${name}: arv-image e2e stand-in; does nothing" >&2\nexit 0\n`;
  const files = [
    { path: "install.sh", content: autoscalerInstall(commit) },
    { path: "bin/ebs-autoscale", content: binStub("ebs-autoscale", "the daemon that grows the file system") },
    { path: "bin/create-ebs-volume", content: binStub("create-ebs-volume", "creates and attaches a volume") },
    { path: "shared/utils.sh", content: `# arv-image e2e stand-in for amazon-ebs-autoscale's shared/utils.sh; see ${README_REF}\n` },
    {
      path: "config/ebs-autoscale.json",
      content: `${JSON.stringify(
        {
          mountpoint: "%%MOUNTPOINT%%",
          filesystem: "%%FILESYSTEM%%",
          lvm: { volume_group: "autoscale_vg", logical_volume: "autoscale_lv" },
          volume: { type: "%%VOLUMETYPE%%", iops: "%%VOLUMEIOPS%%", encrypted: 1 },
          detection_interval: 2,
          limits: {
            max_ebs_volume_size: "%%MAXEBSVOLUMESIZE%%",
            max_logical_volume_size: "%%MAXLOGICALVOLUMESIZE%%",
            max_ebs_volume_count: "%%MAXATTACHEDVOLUMES%%",
            initial_utilization_threshold: "50",
          },
          logging: { log_file: "/var/log/ebs-autoscale.log", log_interval: 300 },
        },
        null,
        4,
      )}\n`,
    },
    { path: "config/ebs-autoscale.logrotate", content: "/var/log/ebs-autoscale.log {\n    weekly\n    rotate 4\n    missingok\n}\n" },
    {
      path: "service/systemd/ebs-autoscale.service",
      content: `# arv-image e2e stand-in; see ${README_REF}\n[Unit]\nDescription=Amazon EBS Autoscale (arv-image e2e stand-in)\n\n[Service]\nType=simple\nExecStart=/usr/local/amazon-ebs-autoscale/bin/ebs-autoscale\n\n[Install]\nWantedBy=multi-user.target\n`,
    },
    {
      path: "README.md",
      content: `# Stand-in for amazon-ebs-autoscale (Arvados' fork) at ${commit}\n\nBuilt by arv-image's e2e mirror; see ${README_REF}. Same layout as GitHub's source archive\n(install.sh, bin/, config/, service/, shared/); install.sh changes nothing.\n`,
    },
  ];
  // GitHub's archives are pax with the commit in a global header (GNU tar skips it on extraction).
  return tarball(dir, `amazon-ebs-autoscale-${commit}`, files, epoch, [
    "--format=pax",
    `--pax-option=globexthdr.name=pax_global_header,globexthdr.mtime=${epoch},comment=${commit},exthdr.name=%d/PaxHeaders/%f,exthdr.mtime=${epoch},delete=atime,delete=ctime`,
  ]);
}
