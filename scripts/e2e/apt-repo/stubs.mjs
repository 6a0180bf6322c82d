// @ts-check
/**
 * Text of the stand-in programs and maintainer scripts the e2e mirror's packages and archives
 * install. Every stand-in says what it is when run; see test/support/mirror/README.md.
 */

export const README_REF = "test/support/mirror/README.md";

/** A single-quoted POSIX shell word. @param {string} s */
export const sq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** A shell word: as is when it needs no quoting (unit names), else single-quoted. @param {string} s */
const word = (s) => (/^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : sq(s));

/**
 * @typedef {object} StubSpec
 * @property {string} name the program's name
 * @property {string} what what the real program is
 * @property {string} origin where this stand-in comes from, e.g. "docker-ce 5:27.5.1-1~debian.12~bookworm"
 * @property {string[]} version what `--version` (and the other versionArgs) print
 * @property {string[]} [versionArgs] first arguments that print the version (default --version, version)
 * @property {"succeed" | "daemon" | { status: number, lines: string[] }} [otherwise]
 *   any other invocation: print a note on stderr and exit 0 (succeed, the default), keep running
 *   doing nothing (daemon: what its systemd unit starts), or print `lines` on stderr and exit with `status`
 */

/**
 * A stand-in executable (POSIX sh): prints what it is, its version for the version arguments,
 * and otherwise succeeds without doing anything (see StubSpec.otherwise).
 * @param {StubSpec} s
 */
export function stub(s) {
  const versionArgs = s.versionArgs ?? ["--version", "version"];
  const ident = `${s.name}: arv-image e2e stand-in for ${s.what} (${s.origin}); not the real program`;
  const otherwise = s.otherwise ?? "succeed";
  let rest;
  if (otherwise === "succeed") {
    rest = `    printf '%s: %s\\n' ${sq(ident)} "doing nothing for: $*" >&2\n    exit 0`;
  } else if (otherwise === "daemon") {
    rest = `    printf '%s: %s\\n' ${sq(ident)} "running as a daemon that does nothing (args: $*)" >&2\n    exec sleep infinity`;
  } else {
    rest = `    printf '%s\\n' ${otherwise.lines.map(sq).join(" ")} >&2\n    printf '(%s)\\n' ${sq(ident)} >&2\n    exit ${otherwise.status}`;
  }
  return `#!/bin/sh
# ${ident}.
# Installed from arv-image's e2e mirror; see ${README_REF}.
case "\${1-}" in
  ${versionArgs.join(" | ")})
    printf '%s\\n' ${s.version.map(sq).join(" ")}
    exit 0
    ;;
  --help | -h | help)
    printf '%s\\n' ${sq(ident + ".")}
    exit 0
    ;;
  *)
${rest}
    ;;
esac
`;
}

/**
 * A systemd unit for a stand-in daemon.
 * @param {{ description: string, exec: string, after?: string, wants?: string, requires?: string, wantedBy?: string, assertPath?: string, extra?: string[] }} u
 */
export function unit(u) {
  const lines = ["# arv-image e2e stand-in unit; see " + README_REF, "[Unit]", `Description=${u.description} (arv-image e2e stand-in)`];
  if (u.after) lines.push(`After=${u.after}`);
  if (u.wants) lines.push(`Wants=${u.wants}`);
  if (u.requires) lines.push(`Requires=${u.requires}`);
  if (u.assertPath) lines.push(`AssertPathExists=${u.assertPath}`);
  lines.push("", "[Service]", "Type=simple", `ExecStart=${u.exec}`, ...(u.extra ?? []), "", "[Install]", `WantedBy=${u.wantedBy ?? "multi-user.target"}`);
  return lines.join("\n") + "\n";
}

/** A socket unit (docker.socket). @param {{ description: string, listen: string, group: string }} s */
export function socketUnit(s) {
  return `# arv-image e2e stand-in unit; see ${README_REF}
[Unit]
Description=${s.description} (arv-image e2e stand-in)

[Socket]
ListenStream=${s.listen}
SocketMode=0660
SocketUser=root
SocketGroup=${s.group}

[Install]
WantedBy=sockets.target
`;
}

/**
 * Maintainer-script fragments that enable (and, under a running systemd, start) units the way
 * debhelper's generated postinst does: deb-systemd-helper enables on first installation.
 * @param {string[]} units
 */
export function postinstUnits(units) {
  if (units.length === 0) return "";
  const names = units.map(word).join(" ");
  const enable = units
    .map(
      (u) => `    deb-systemd-helper unmask ${word(u)} >/dev/null || true
    # was-enabled defaults to true, so new installations enable the unit.
    if deb-systemd-helper --quiet was-enabled ${word(u)}; then
      deb-systemd-helper enable ${word(u)} >/dev/null || true
    else
      deb-systemd-helper update-state ${word(u)} >/dev/null || true
    fi
`,
    )
    .join("");
  return `if [ "$1" = configure ] || [ "$1" = abort-upgrade ]; then
  if command -v deb-systemd-helper >/dev/null 2>&1; then
${enable}  fi
  if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
    if command -v deb-systemd-invoke >/dev/null 2>&1; then
      deb-systemd-invoke start ${names} >/dev/null || true
    fi
  fi
fi
`;
}

/** @param {string[]} units */
export function postrmUnits(units) {
  if (units.length === 0) return "";
  const names = units.map(word).join(" ");
  return `if [ -d /run/systemd/system ]; then
  systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = purge ] && command -v deb-systemd-helper >/dev/null 2>&1; then
  deb-systemd-helper purge ${names} >/dev/null || true
  deb-systemd-helper unmask ${names} >/dev/null || true
fi
`;
}

/** @param {string[]} units */
export function prermUnits(units) {
  if (units.length === 0) return "";
  return `if [ -d /run/systemd/system ] && [ "$1" = remove ] && command -v deb-systemd-invoke >/dev/null 2>&1; then
  deb-systemd-invoke stop ${units.map(word).join(" ")} >/dev/null || true
fi
`;
}

/** A maintainer script from fragments (empty when there are none). @param {string[]} parts */
export function maintScript(parts) {
  const body = parts.filter((p) => p.trim() !== "").join("\n");
  if (body === "") return "";
  return `#!/bin/sh
# arv-image e2e stand-in maintainer script; see ${README_REF}
set -e
${body}
exit 0
`;
}
