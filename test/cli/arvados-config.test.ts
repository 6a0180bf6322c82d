/**
 * --arvados-config through the real CLI: the cluster's config.yml supplies the cluster id,
 * the dispatcher's public key (derived from Containers.DispatchPrivateKey, equal to what
 * ssh-keygen -y gives), the runtime engine and the login user; the private key is never
 * written or printed; disagreements are errors or warnings.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_KEY, REPO, runCli } from "../support/cli.js";

const FIX = join(REPO, "test/fixtures/arvados-config");
let tmp: string;
let keyDir: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "arv-image-arvcfg-"));
  keyDir = join(tmp, "keys");
  spawnSync("mkdir", ["-p", keyDir]);
  copyFileSync(join(FIX, "keys/ed25519"), join(keyDir, "ed25519"));
  chmodSync(join(keyDir, "ed25519"), 0o600);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sshKeygenY = (file: string) => spawnSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" }).stdout.trim().split(" ").slice(0, 2).join(" ");
const allFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());

describe("--arvados-config", () => {
  it("an inline key: the image gets exactly the dispatcher's public key, and the private key goes nowhere", async () => {
    const out = join(tmp, "inline");
    const cfg = join(FIX, "inline-ed25519.yml");
    const r = await runCli(["render", "--cloud", "aws", "--arvados-config", cfg, "--nvidia-gpu-support", "--packer-version", "1.6.6", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const keys = readFileSync(join(out, "files/authorized_keys"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("ssh-"));
    expect(keys.map((l) => l.split(" ").slice(0, 2).join(" "))).toEqual([sshKeygenY(join(keyDir, "ed25519"))]);
    const privateBody = readFileSync(cfg, "utf8")
      .split("\n")
      .find((l) => /^ {8}[A-Za-z0-9+/]{40,}$/.test(l))
      ?.trim() as string;
    expect(privateBody).toBeTruthy();
    for (const f of allFiles(out)) expect(readFileSync(f, "utf8")).not.toContain(privateBody);
    expect(r.stdout + r.stderr).not.toContain(privateBody);
    expect(readFileSync(join(out, "arv-image.auto.pkrvars.hcl"), "utf8")).toMatch(/^arvados_cluster += "zzzzz"$/m);
  });

  it("a file:// key, and config shows what came from the cluster config", async () => {
    const cfg = join(tmp, "file-key.yml");
    writeFileSync(cfg, readFileSync(join(FIX, "file-key.yml"), "utf8").replaceAll("@KEYDIR@", keyDir));
    const r = await runCli(["config", "--cloud", "aws", "--arvados-config", cfg, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { values: Record<string, { value: unknown; source: string }> };
    expect(doc.values["arvados-cluster-id"]).toEqual({ value: "zzzzz", source: "cluster config" });
    expect(doc.values["runtime-engine"]).toEqual({ value: "docker", source: "cluster config" });
    expect(doc.values["login-user"]).toEqual({ value: "crunch", source: "cluster config" });
  });

  it("refuses a --public-key-file that is not the dispatcher's key, naming both fingerprints", async () => {
    const r = await runCli(["render", "--cloud", "aws", "--arvados-config", join(FIX, "inline-ed25519.yml"), "--public-key-file", EXAMPLE_KEY, "--out", join(tmp, "mismatch")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SHA256:BhLynDqcI1S35j5Mxqh\+B0RlS3Ab9QbfPmXqaqnHAZ4/);
    expect(r.stderr).toMatch(/SHA256:6075vqtYR6xrXqZgqCTCSmqEDOzxsBnuUdKK8pthcyg/);
  });

  it("asks which cluster when there are several, and warns where cluster and flags disagree", async () => {
    const several = await runCli(["render", "--cloud", "aws", "--arvados-config", join(FIX, "several-clusters.yml"), "--out", join(tmp, "several")]);
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/defines 2 clusters \("xxxxx", "yyyyy"\).*--arvados-cluster-id/);
    expect(several.stderr).not.toContain("--arvados-cluster-id is required for every build");
    const gpu = await runCli(["render", "--cloud", "aws", "--arvados-config", join(FIX, "inline-ed25519.yml"), "--packer-version", "1.6.6", "--out", join(tmp, "gpu")]);
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(gpu.stderr).toMatch(/warning: Instance types g4dn\.xlarge .* have NVIDIA GPUs .* Add --nvidia-gpu-support/);
  });
});
