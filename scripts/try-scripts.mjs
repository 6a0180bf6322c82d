#!/usr/bin/env node
// Renders every templates/scripts/*.sh.hbs with several sample contexts and checks the result:
//   - template syntax: only {{sh v.x}}, {{#if on.x}}/{{#unless on.x}}/{{else}} and, in scripts,
//     {{> source-prelude}}; every v.x / on.x is a field of the contract (src/render/script-context.ts);
//   - rendered scripts and their prelude (scripts/lib/prelude.sh, which each script sources):
//     header lines, `set -euo pipefail` in the prelude, no `set -x`, `bash -n`,
//     `shellcheck -x -s bash -S style` with zero findings, each script checked with its prelude
//     beside it, each distinct rendering once, plain prelude values aside (shellcheck-key.mjs;
//     each distinct prelude whole), and every templates/files/*.sh;
//   - the prelude's values block between the marker lines round-trips every value exactly;
//   - functional smoke tests of the file-editing helpers (run twice: idempotent);
//   - `systemd-analyze verify` on the unit files, when available.
// Exits non-zero on any problem. Usage: node scripts/try-scripts.mjs [--keep] [--quiet]
// (--keep leaves the rendered scripts in the temporary directory and prints its path.)
// Needs the compiled engine: `npx tsc -p tsconfig.json` (dist/render/engine.js).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { shellcheckKey } from "./shellcheck-key.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const TEMPLATES = join(ROOT, "templates");
const keep = process.argv.includes("--keep");
const quiet = process.argv.includes("--quiet");

let renderTemplate;
try {
  ({ renderTemplate } = await import(join(ROOT, "dist/render/engine.js")));
} catch (e) {
  console.error(`cannot load dist/render/engine.js (${e.message}); run: npx tsc -p tsconfig.json`);
  process.exit(2);
}

const problems = [];
const problem = (msg) => problems.push(msg);
const info = (msg) => {
  if (!quiet) console.log(msg);
};

// ---------------------------------------------------------------------------------------------
// The contract: field names of ScriptValues and ScriptSwitches.
const contractSrc = readFileSync(join(ROOT, "src/render/script-context.ts"), "utf8");
function interfaceFields(name) {
  const m = contractSrc.match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`));
  if (!m) throw new Error(`interface ${name} not found in script-context.ts`);
  return new Set([...m[1].matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/gm)].map((x) => x[1]));
}
const VALUE_FIELDS = interfaceFields("ScriptValues");
const SWITCH_FIELDS = interfaceFields("ScriptSwitches");

// ---------------------------------------------------------------------------------------------
// Template syntax: walk each AST and allow only the forms the shell templates may use.
function checkAst(file, source, { isPartial }) {
  let ast;
  try {
    ast = Handlebars.parse(source);
  } catch (e) {
    problem(`${file}: Handlebars parse error: ${e.message}`);
    return;
  }
  const where = (node) => `${file}:${node.loc?.start.line ?? "?"}`;
  const pathOf = (p, prefix, fields) => {
    if (p?.type !== "PathExpression" || p.data || p.parts.length !== 2 || p.parts[0] !== prefix) return false;
    return fields.has(p.parts[1]);
  };
  const walk = (node) => {
    switch (node.type) {
      case "Program":
        node.body.forEach(walk);
        break;
      case "ContentStatement":
        break;
      case "MustacheStatement":
        if (!node.escaped || node.path.original !== "sh" || node.params.length !== 1 || node.hash || !pathOf(node.params[0], "v", VALUE_FIELDS)) {
          problem(`${where(node)}: only {{sh v.<field of ScriptValues>}} may print a value`);
        }
        break;
      case "BlockStatement":
        if (!["if", "unless"].includes(node.path.original) || node.params.length !== 1 || node.hash || node.program.blockParams || !pathOf(node.params[0], "on", SWITCH_FIELDS)) {
          problem(`${where(node)}: only {{#if on.<switch>}} / {{#unless on.<switch>}} blocks are allowed`);
        }
        walk(node.program);
        if (node.inverse) walk(node.inverse);
        break;
      case "PartialStatement":
        if (isPartial || node.name.original !== "source-prelude" || node.params.length || node.hash) {
          problem(`${where(node)}: only {{> source-prelude}} (in scripts) is allowed`);
        }
        break;
      default:
        problem(`${where(node)}: ${node.type} is not allowed in shell templates`);
    }
  };
  walk(ast);
  if (/\{\{\{/.test(source)) problem(`${file}: triple-stash {{{ }}} is not allowed`);
}

const scriptNames = readdirSync(join(TEMPLATES, "scripts"))
  .filter((f) => f.endsWith(".sh.hbs"))
  .sort();
for (const name of scriptNames) {
  checkAst(`templates/scripts/${name}`, readFileSync(join(TEMPLATES, "scripts", name), "utf8"), { isPartial: false });
}
// The prelude, and the shell partial (templates/partials/ also holds the Packer side's partials).
const PRELUDE_TEMPLATE = "scripts/lib/prelude.sh.hbs";
/** Scripts that run after the prelude is gone. */
const STANDALONE = new Set(["99a-deprovision.sh"]);
for (const name of [PRELUDE_TEMPLATE, "partials/source-prelude.hbs"]) {
  checkAst(`templates/${name}`, readFileSync(join(TEMPLATES, name), "utf8"), { isPartial: true });
}

// ---------------------------------------------------------------------------------------------
// Sample contexts.
const baseValues = {
  staging: "/tmp/arv-image",
  cloud: "aws",
  loginUser: "crunch",
  aptLockTimeout: "300",
  cloudInitTimeout: "600",
  arvadosAptUrl: "https://apt.arvados.org",
  arvadosKeyUrl: "https://apt.arvados.org/pubkey.gpg",
  reposuffix: "-dev",
  dockerAptUrl: "https://download.docker.com/linux",
  dockerKeyUrl: "",
  cudaRepoUrl: "https://developer.download.nvidia.com/compute/cuda/repos",
  cudaKeyringVersion: "1.1-1",
  nvidiaToolkitUrl: "https://nvidia.github.io/libnvidia-container/stable/deb",
  nvidiaToolkitKeyUrl: "https://nvidia.github.io/libnvidia-container/gpgkey",
  goVersion: "1.25.6",
  goUrl: "https://go.dev/dl",
  singularityVersion: "3.10.4",
  singularityUrl: "https://github.com/sylabs/singularity/releases/download",
  singularityPrefix: "/opt/singularity",
  mksquashfsMem: "256M",
  autoscalerUrl: "https://github.com/arvados/amazon-ebs-autoscale/archive",
  autoscalerCommit: "ee323f0751c2b6f733692e805b51b9bf3c251bac",
  resolver: "10.0.0.2",
  rocmVersion: "6.3.2",
  rocmRepoUrl: "https://repo.radeon.com",
  rocmKeyUrl: "https://repo.radeon.com/rocm/rocm.gpg.key",
};
const allOff = {
  docker: false,
  singularity: false,
  nvidia: false,
  rocm: false,
  ebsAutoscale: false,
  encryptedTmp: false,
  pinPackages: false,
  resolver: false,
  hosts: false,
  captureHygiene: false,
  deprovision: false,
};
const contexts = {
  "all-on": {
    v: baseValues,
    on: { ...allOff, docker: true, singularity: true, nvidia: true, rocm: true, encryptedTmp: true, pinPackages: true, resolver: true, hosts: true, captureHygiene: true },
  },
  "all-off": { v: { ...baseValues, resolver: "", mksquashfsMem: "", reposuffix: "" }, on: allOff },
  "docker-only": { v: baseValues, on: { ...allOff, docker: true, encryptedTmp: true, pinPackages: true, captureHygiene: true } },
  "docker-no-scratch": { v: baseValues, on: { ...allOff, docker: true, resolver: true, captureHygiene: true } },
  "singularity-only": { v: { ...baseValues, cloud: "azure" }, on: { ...allOff, singularity: true, encryptedTmp: true, hosts: true, captureHygiene: true, deprovision: true } },
  "gpu-ebs": {
    v: baseValues,
    on: { ...allOff, docker: true, singularity: true, nvidia: true, ebsAutoscale: true, pinPackages: true, resolver: true, captureHygiene: true },
  },
  "live-machine": { v: { ...baseValues, cloud: "none", loginUser: "crunch.user" }, on: { ...allOff, docker: true, hosts: true } },
  // Values no real build has, to prove quoting: every value must survive the round trip.
  nasty: {
    v: Object.fromEntries(Object.keys(baseValues).map((k) => [k, `${baseValues[k]}' "$HOME" \`id\` $(id) \\ ! * ? [a] ; & | < > # é 😀\n\ttab ${k}`])),
    on: { ...allOff, docker: true, singularity: true, nvidia: true, rocm: true, encryptedTmp: true, pinPackages: true, resolver: true, hosts: true, captureHygiene: true },
  },
};
for (const [name, ctx] of Object.entries(contexts)) {
  for (const k of VALUE_FIELDS) if (!(k in ctx.v)) problem(`sample context ${name} lacks v.${k}`);
  for (const k of SWITCH_FIELDS) if (!(k in ctx.on)) problem(`sample context ${name} lacks on.${k}`);
}

// ---------------------------------------------------------------------------------------------
// Render, check headers, write out.
const work = mkdtempSync(join(tmpdir(), "try-scripts-"));
const outDir = join(work, "rendered");
mkdirSync(outDir);
const toLint = new Map(); // content hash (a script's with its prelude's) -> path (identical renderings are linted once)
const rendered = {}; // context -> script -> text
const preludes = {}; // context -> the rendered prelude

for (const [ctxName, ctx] of Object.entries(contexts)) {
  rendered[ctxName] = {};
  const ctxDir = join(outDir, ctxName, "scripts");
  let prelude;
  try {
    prelude = renderTemplate(PRELUDE_TEMPLATE, ctx);
  } catch (e) {
    problem(`${ctxName}/lib/prelude.sh: render failed: ${e.message}`);
    continue;
  }
  preludes[ctxName] = prelude;
  {
    const lines = prelude.split("\n");
    const header = `# generated by arv-image from templates/${PRELUDE_TEMPLATE}; do not edit`;
    if (lines[0] !== header) problem(`${ctxName}/lib/prelude.sh: line 1 is not "${header}"`);
    if (lines[1] !== "# shellcheck shell=bash") problem(`${ctxName}/lib/prelude.sh: line 2 is not "# shellcheck shell=bash"`);
    if (!lines.includes("set -euo pipefail")) problem(`${ctxName}/lib/prelude.sh: no "set -euo pipefail" line`);
    if (/^\s*set\s+-[a-zA-Z]*x/m.test(prelude) || /set -o xtrace/.test(prelude)) problem(`${ctxName}/lib/prelude.sh: uses set -x`);
    if (!lines.includes("# --- arv-image values ---") || !lines.includes("# --- end of values ---")) {
      problem(`${ctxName}/lib/prelude.sh: values markers missing`);
    }
    if (ctxName !== "nasty") {
      mkdirSync(join(ctxDir, "lib"), { recursive: true });
      const path = join(ctxDir, "lib", "prelude.sh");
      writeFileSync(path, prelude);
      const hash = shellcheckKey("prelude.sh", prelude, undefined);
      if (!toLint.has(hash)) toLint.set(hash, path);
    }
  }
  for (const tpl of scriptNames) {
    const script = tpl.replace(/\.hbs$/, "");
    let text;
    try {
      text = renderTemplate(`scripts/${tpl}`, ctx);
    } catch (e) {
      problem(`${ctxName}/${script}: render failed: ${e.message}`);
      continue;
    }
    rendered[ctxName][script] = text;
    const lines = text.split("\n");
    if (lines[0] !== "#!/bin/bash") problem(`${ctxName}/${script}: line 1 is not #!/bin/bash`);
    const header = `# generated by arv-image from templates/scripts/${tpl}; do not edit`;
    if (lines[1] !== header) problem(`${ctxName}/${script}: line 2 is not "${header}"`);
    // Azure's deprovisioning runs after 99-hygiene removed the staging directory (and the prelude): it stands alone.
    if (!STANDALONE.has(script) && !/^# shellcheck source=lib\/prelude\.sh\nsource "\$ARV_PRELUDE"$/m.test(text)) problem(`${ctxName}/${script}: does not source the prelude`);
    if (/^\s*set\s+-[a-zA-Z]*x/m.test(text) || /set -o xtrace/.test(text)) problem(`${ctxName}/${script}: uses set -x`);
    if (ctxName === "nasty") continue; // quoting only; linted through the other contexts
    const path = join(ctxDir, script);
    writeFileSync(path, text, { mode: 0o755 });
    // Once per distinct script, plain prelude values aside (shellcheck-key.mjs).
    const hash = shellcheckKey(script, text, STANDALONE.has(script) ? undefined : prelude);
    if (!toLint.has(hash)) toLint.set(hash, path);
  }
}

// ---------------------------------------------------------------------------------------------
// Static files.
const filesDir = join(TEMPLATES, "files");
const staticFiles = existsSync(filesDir) ? readdirSync(filesDir).sort() : [];
const staticScripts = staticFiles.filter((f) => f.endsWith(".sh")).map((f) => join(filesDir, f));
const unitFiles = staticFiles.filter((f) => /\.(service|path|timer|socket)$/.test(f)).map((f) => join(filesDir, f));
for (const f of staticScripts) {
  const first = readFileSync(f, "utf8").split("\n", 1)[0];
  if (first !== "#!/bin/bash") problem(`${f}: line 1 is not #!/bin/bash`);
}

// ---------------------------------------------------------------------------------------------
// bash -n and shellcheck.
const lintTargets = [...toLint.values(), ...staticScripts];
for (const f of lintTargets) {
  const r = spawnSync("bash", ["-n", f], { encoding: "utf8" });
  if (r.status !== 0) problem(`bash -n ${f}:\n${r.stderr}`);
}
{
  // -x with -P SCRIPTDIR: each script's `# shellcheck source=lib/prelude.sh` is its own context's prelude.
  const r = spawnSync("shellcheck", ["-x", "-P", "SCRIPTDIR", "-s", "bash", "-S", "style", "-f", "gcc", ...lintTargets], { encoding: "utf8" });
  if (r.error) problem(`shellcheck could not run: ${r.error.message}`);
  else if (r.status !== 0 || r.stdout.trim()) problem(`shellcheck findings:\n${r.stdout}${r.stderr}`);
  else info(`shellcheck -x -s bash -S style: clean on ${lintTargets.length} files (${toLint.size} distinct renderings, ${staticScripts.length} static scripts)`);
}

// ---------------------------------------------------------------------------------------------
// Values block round trip: run the block with bash and compare every variable with its value.
const varOf = (field) => field.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
function valuesBlock(text) {
  const lines = text.split("\n");
  const a = lines.indexOf("# --- arv-image values ---");
  const b = lines.indexOf("# --- end of values ---");
  return a >= 0 && b > a ? lines.slice(a + 1, b) : null;
}
for (const ctxName of ["all-on", "nasty"]) {
  const ctx = contexts[ctxName];
  for (const [script, text] of Object.entries({ "lib/prelude.sh": preludes[ctxName] ?? "" })) {
    const block = valuesBlock(text);
    if (!block) continue;
    const names = [...VALUE_FIELDS].map(varOf);
    const program = `${block.join("\n")}\nfor n in ${names.join(" ")}; do printf '%s\\0' "\${!n}"; done\n`;
    const r = spawnSync("bash", ["-c", program], { encoding: "utf8" });
    if (r.status !== 0) {
      problem(`${ctxName}/${script}: values block fails in bash: ${r.stderr}`);
      continue;
    }
    const got = r.stdout.split("\0").slice(0, -1);
    [...VALUE_FIELDS].forEach((field, i) => {
      if (got[i] !== ctx.v[field]) problem(`${ctxName}/${script}: ${varOf(field)} does not round-trip (got ${JSON.stringify(got[i])})`);
    });
  }
}
info("values blocks: every value round-trips exactly");

// ---------------------------------------------------------------------------------------------
// Functional smoke tests of the file-editing helpers, each run twice (the second run must not
// change anything). Functions are cut out of the rendered script and its prelude by name.
function extractFunction(text, name) {
  const m = text.match(new RegExp(`^${name}\\(\\) \\{[\\s\\S]*?^\\}$`, "m"));
  if (!m) throw new Error(`function ${name} not found`);
  return m[0];
}
const smokeDir = join(work, "smoke");
mkdirSync(smokeDir);
function smoke(title, script, functions, setup, body, expect) {
  const text = rendered["all-on"][script];
  const prelude = preludes["all-on"];
  let defs;
  try {
    defs = [...["log", "warn", "die", "replace_content", "install_content"].map((f) => extractFunction(prelude, f)), ...functions.map((f) => extractFunction(text, f))];
    // The script's own constants (plain readonly assignments; the prelude's values come below).
    defs.unshift(...text.split("\n").filter((l) => /^readonly [A-Z_]+=("[^"$`]*"|[^$`"]*)$/.test(l)));
  } catch (e) {
    problem(`smoke ${title}: ${e.message}`);
    return;
  }
  const dir = mkdtempSync(join(smokeDir, "t-"));
  const values = valuesBlock(prelude).join("\n");
  const program = [
    "set -euo pipefail",
    values,
    `WORK_DIR=${JSON.stringify(dir)}`,
    `cd ${JSON.stringify(dir)}`,
    ...defs,
    setup,
    `${body} >/dev/null`,
    "cp target first",
    `${body} >/dev/null`,
    'cmp -s first target || { echo "second run changed the file" >&2; diff first target >&2; exit 1; }',
    "cat target",
  ].join("\n");
  const r = spawnSync("bash", ["-c", program], { encoding: "utf8" });
  if (r.status !== 0) {
    problem(`smoke ${title}: failed: ${r.stderr}${r.stdout}`);
    return;
  }
  const result = r.stdout.trimEnd();
  if (result !== expect.trimEnd()) problem(`smoke ${title}: unexpected result:\n${result}\n--- expected:\n${expect}`);
  else info(`smoke ${title}: ok (idempotent)`);
}

smoke(
  "contrib (one-line sources)",
  "10-base.sh",
  ["enable_contrib_list"],
  `cat >target <<'EOF'
deb http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm main non-free-firmware # comment
# deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm main contrib
deb [signed-by=/x.gpg] https://example.org/repo stable extra
EOF`,
  "enable_contrib_list target",
  `deb http://deb.debian.org/debian bookworm main contrib
deb-src http://deb.debian.org/debian bookworm main non-free-firmware contrib # comment
# deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm main contrib
deb [signed-by=/x.gpg] https://example.org/repo stable extra`,
);
smoke(
  "contrib (deb822 sources)",
  "10-base.sh",
  ["enable_contrib_sources"],
  `cat >target <<'EOF'
Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main contrib
EOF`,
  "enable_contrib_sources target",
  `Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main non-free-firmware contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main contrib`,
);
smoke(
  "fuse.conf (commented example)",
  "20-arvados.sh",
  ["put_user_allow_other"],
  "printf '%s\\n' '# mount_max = 1000' '#user_allow_other' >target",
  "put_user_allow_other target",
  "# mount_max = 1000\nuser_allow_other",
);
smoke(
  "fuse.conf (no line)",
  "20-arvados.sh",
  ["put_user_allow_other"],
  "printf '%s\\n' '# mount_max = 1000' >target",
  "put_user_allow_other target",
  "# mount_max = 1000\nuser_allow_other",
);
smoke(
  "fuse.conf (missing file)",
  "20-arvados.sh",
  ["put_user_allow_other"],
  "rm -f target",
  "put_user_allow_other target",
  "# written by arv-image: arv-mount needs user_allow_other\nuser_allow_other",
);
smoke(
  "singularity.conf mksquashfs mem",
  "50-singularity.sh",
  ["put_mksquashfs_mem"],
  "printf '%s\\n' '# mksquashfs mem = 1G' 'mksquashfs mem = 1G' 'foo = bar' 'mksquashfs mem=2G' >target",
  "put_mksquashfs_mem target",
  "# mksquashfs mem = 1G\nmksquashfs mem = 256M\nfoo = bar",
);
smoke(
  "singularity.conf mksquashfs mem (appended)",
  "50-singularity.sh",
  ["put_mksquashfs_mem"],
  "printf '%s\\n' '# mksquashfs mem = 1G' >target",
  "put_mksquashfs_mem target",
  "# mksquashfs mem = 1G\nmksquashfs mem = 256M",
);
smoke(
  "dhclient resolver",
  "70-network.sh",
  ["put_dhclient_resolver"],
  "printf '%s\\n' 'send host-name = gethostname();' '#prepend domain-name-servers 127.0.0.1;' 'request subnet-mask;' >target",
  "put_dhclient_resolver target domain-name-servers",
  "send host-name = gethostname();\nprepend domain-name-servers 10.0.0.2;\nrequest subnet-mask;",
);
smoke(
  "dhclient resolver (DHCPv6 option beside the DHCPv4 one)",
  "70-network.sh",
  ["put_dhclient_resolver"],
  "printf '%s\\n' 'prepend domain-name-servers 10.0.0.2;' '#prepend dhcp6.name-servers ::1;' >target",
  "put_dhclient_resolver target dhcp6.name-servers",
  "prepend domain-name-servers 10.0.0.2;\nprepend dhcp6.name-servers 10.0.0.2;",
);
smoke(
  "resolv.conf resolver first",
  "70-network.sh",
  ["put_first_nameserver"],
  "printf '%s\\n' '# generated' 'search example' 'nameserver 192.0.2.1' 'nameserver 10.0.0.2' 'options edns0' >target",
  "put_first_nameserver target",
  "# generated\nsearch example\nnameserver 10.0.0.2\nnameserver 192.0.2.1\noptions edns0",
);
smoke("resolv.conf.head created", "70-network.sh", ["put_first_nameserver"], "rm -f target", "put_first_nameserver target", "nameserver 10.0.0.2");
smoke(
  "hosts block",
  "70-network.sh",
  ["put_hosts_block"],
  `printf '%s\\n' '127.0.0.1 localhost' '# BEGIN arv-image hosts entries (do not edit this block)' '10.9.9.9 old' '# END arv-image hosts entries' '::1 localhost' >target
printf '%s\\n' '10.0.0.5 api.example' '10.0.0.6 keep.example' >block`,
  "put_hosts_block target block",
  `127.0.0.1 localhost
::1 localhost
# BEGIN arv-image hosts entries (do not edit this block)
10.0.0.5 api.example
10.0.0.6 keep.example
# END arv-image hosts entries`,
);

// Static boot scripts that are safe to run here: they change nothing in these modes.
{
  // (the cloud is given, so that no metadata service is probed from here)
  const r = spawnSync("bash", [join(filesDir, "ensure-encrypted-partitions.sh"), "--dry-run"], {
    encoding: "utf8",
    env: { ...process.env, ENSURE_ENCRYPTED_PARTITIONS_CLOUD: "generic" },
  });
  if (r.status !== 0) problem(`ensure-encrypted-partitions.sh --dry-run exited ${r.status}:\n${r.stdout}${r.stderr}`);
  else info(`ensure-encrypted-partitions.sh --dry-run: ok\n${r.stdout.trimEnd().replace(/^/gm, "    ")}`);
}

// ---------------------------------------------------------------------------------------------
// systemd-analyze verify (optional).
if (spawnSync("systemd-analyze", ["--version"]).status === 0 && unitFiles.length) {
  const unitDir = join(work, "units");
  mkdirSync(unitDir);
  for (const u of unitFiles) writeFileSync(join(unitDir, u.split("/").pop()), readFileSync(u, "utf8"));
  const r = spawnSync("systemd-analyze", ["verify", "--man=no", ...readdirSync(unitDir).map((f) => join(unitDir, f))], {
    encoding: "utf8",
  });
  // Expected here: the executables the units run are installed only on the image, and this
  // machine lacks the units they order against (docker, ssh, cloud-init).
  const msgs = (r.stderr + r.stdout)
    .split("\n")
    .filter((l) => l.trim())
    .filter((l) => !/Command \S+ is not executable: No such file or directory/.test(l))
    .filter((l) => !/(docker|ssh|cloud-init)\.(service|socket)/.test(l));
  if (msgs.length) problem(`systemd-analyze verify:\n${msgs.join("\n")}`);
  else info(`systemd-analyze verify: ${unitFiles.length} unit files ok`);
}

// ---------------------------------------------------------------------------------------------
if (keep) console.log(`rendered scripts kept in ${outDir}`);
else rmSync(work, { recursive: true, force: true });
if (problems.length) {
  console.error(`\n${problems.length} problem(s):\n`);
  for (const p of problems) console.error(`- ${p}\n`);
  process.exit(1);
}
console.log(`try-scripts: all checks passed (${scriptNames.length} templates × ${Object.keys(contexts).length} contexts)`);
