import { createHash } from "node:crypto";
import { flagsFor } from "../config/flags.js";
import type { OptionKey } from "../config/schema.js";
import type { Io } from "../io.js";
import { resolveCommand, secretsOf } from "../pipeline/resolve.js";
import { isSecret, REDACTED } from "../secrets.js";
import { CONFIG_SCHEMA } from "../json-schemas.js";

export { REDACTED };

export async function runConfig(raw: Record<string, unknown>, io: Io): Promise<void> {
  const c = await resolveCommand("config", raw, io);
  // Registered for the output's scrubber: a public value (a proxy URL) may still hold one.
  secretsOf(c);
  const values: Record<string, { value: unknown; source: string }> = {};
  for (const f of flagsFor("config")) {
    if (f.key === "json" || f.key === "cloud" || f.key === "packerVersion") continue;
    if (f.cloud !== undefined && c.cloud !== undefined && f.cloud !== c.cloud) continue;
    if (f.group === "ebs" && f.key !== "awsEbsAutoscale" && !c.options.awsEbsAutoscale) continue;
    const value = c.options[f.key as OptionKey];
    const source = c.sources[f.key as OptionKey];
    if (value === undefined || source === undefined) continue;
    values[f.name] = { value, source };
  }
  // Every pin, and where it came from (the release table's entry, or the newest one for an unknown release).
  const r = c.release;
  const pinSource = r.pinsSource;
  const pins = [
    {
      name: "arvados packages",
      value: r.arvadosPin ?? `not pinned (${r.noArvadosPin ?? ""})`,
      source: `arvados-version ${r.arvadosVersion} (${c.sources.arvadosVersion ?? "default"})`,
    },
    ...r.pins.apt.map((p) => {
      const names = p.packages.split(" ");
      // A long package list is shown by its first name in the table; --json has it whole.
      return { name: names.length > 2 ? `${names[0]} (+${names.length - 1} packages)` : p.packages, packages: p.packages, value: p.version, source: pinSource };
    }),
    { name: "go (builds Singularity)", value: r.pins.go, source: pinSource },
    { name: "singularity-ce", value: r.pins.singularity, source: pinSource },
    { name: "rocm", value: r.pins.rocm, source: pinSource },
    { name: "cuda-keyring", value: r.pins.cudaKeyring, source: pinSource },
    { name: "amazon-ebs-autoscale", value: r.pins.autoscalerCommit, source: pinSource },
  ];
  if (!c.options.pinPackages) for (const p of pins.slice(1, 1 + r.pins.apt.length)) p.value = `${p.value} (not pinned: --no-pin-packages)`;
  const doc = {
    schema: CONFIG_SCHEMA,
    cloud: c.cloud === undefined ? null : { value: c.cloud, source: c.sources.cloud === "flag" ? "flag" : "inferred" },
    values,
    publicKeys: c.publicKeys.map((k) => ({
      type: k.type,
      comment: k.comment,
      fingerprint: `SHA256:${createHash("sha256").update(Buffer.from(k.blob, "base64")).digest("base64").replace(/=+$/, "")}`,
    })),
    hostsEntries: c.hostsEntries.map((e) => `${e.ip} ${e.names.join(" ")}`),
    secrets: c.secretsFiles.map((s) => ({
      flag: s.flag,
      file: s.path,
      source: "secrets file",
      // Each variable as src/secrets.ts decides: a region is shown, a key is not.
      variables: Object.fromEntries(
        Object.keys(s.env)
          .sort()
          .map((k) => [k, isSecret(k, "secrets file", s.env[k]) ? REDACTED : (s.env[k] ?? "")]),
      ),
    })),
    packer: c.packer,
    release: { arvadosVersion: r.arvadosVersion, series: r.series, known: r.known, pins },
    legacyTemplate: c.legacyTemplate ?? null,
    warnings: c.warnings,
  };
  if (c.command.json) {
    io.stdout(JSON.stringify(doc, null, 2) + "\n");
    return;
  }
  const rows: [string, string, string][] = [];
  if (doc.cloud) rows.push(["cloud", doc.cloud.value, doc.cloud.source]);
  for (const [name, v] of Object.entries(values)) {
    const shown = Array.isArray(v.value) ? v.value.join("; ") : String(v.value);
    rows.push([name, shown === "" ? '""' : shown, v.source]);
  }
  rows.push(["packer-version", c.packer.version, c.packer.source]);
  for (const p of pins) rows.push([`pin ${p.name}`, p.value, p.source]);
  for (const k of doc.publicKeys) rows.push(["public key", `${k.type} ${k.fingerprint}${k.comment ? ` ${k.comment}` : ""}`, "public-key-file"]);
  for (const s of doc.secrets) for (const [name, value] of Object.entries(s.variables)) rows.push([name, value, `secrets file ${s.file}`]);
  const w1 = Math.max(...rows.map((r) => r[0].length));
  const w2 = Math.max(...rows.map((r) => r[1].length).filter((n) => n <= 40));
  let text = rows.map(([a, b, s]) => `${a.padEnd(w1)}  ${b.padEnd(w2)}  (${s})`).join("\n") + "\n";
  if (c.legacyTemplate) {
    text += `\nlegacy JSON template ${c.legacyTemplate.path} will be run as it is, with:\n`;
    text += c.legacyTemplate.variables.map(([k, v]) => `  -var ${k}=${v}`).join("\n") + "\n";
  }
  io.stdout(text);
}
