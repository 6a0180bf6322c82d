/**
 * `arv-image config`: what build.sh command lines resolve to, and where each value came from.
 * In-process (the real commander options and runConfig from dist/); one real CLI run.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConfig } from "../../dist/cli/config.js";
import { EXAMPLE_KEY, runCli } from "../support/cli.js";
import { rawOptions } from "../support/resolve.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "arv-image-config-"));
  writeFileSync(join(dir, "site-template.json"), '{"builders": []}\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function config(...args: string[]) {
  let stdout = "";
  await runConfig(rawOptions("config", ["--json", "--packer-version", "1.6.6", ...args]), { stdout: (s) => (stdout += s), stderr: () => {} });
  return JSON.parse(stdout) as {
    cloud: { value: string; source: string } | null;
    values: Record<string, { value: unknown; source: string }>;
    legacyTemplate: { path: string; variables: [string, string][] } | null;
    packer: { version: string; source: string };
  };
}

describe("config", () => {
  it("takes a build.sh command line as it was, with --opt=value and --ssh_user", async () => {
    const c = await config(
      "--json-file=tools/compute-images/arvados-images-aws.json",
      "--arvados-cluster-id=zzzzz",
      `--public-key-file=${EXAMPLE_KEY}`,
      "--aws-source-ami",
      "ami-0a9d5908c7201e91d",
      "--ssh_user=debian",
      "--reposuffix",
      "-dev",
    );
    expect(c.cloud).toEqual({ value: "aws", source: "inferred" });
    expect(c.values["ssh-user"]).toEqual({ value: "debian", source: "flag" });
    expect(c.values["aws-source-ami"]).toEqual({ value: "ami-0a9d5908c7201e91d", source: "flag" });
    expect(c.values["pin-packages"]).toEqual({ value: false, source: "inferred" });
    expect(c.values["aws-region"]).toEqual({ value: "us-east-1", source: "default" });
    expect(c.legacyTemplate).toBeNull();
  });

  it("infers the cloud from cloud-specific flags, and the SSH user from the cloud", async () => {
    const c = await config("--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--azure-resource-group", "rg", "--azure-sku", "12-gen2");
    expect(c.cloud).toEqual({ value: "azure", source: "inferred" });
    expect(c.values["ssh-user"]).toEqual({ value: "packer", source: "inferred" });
    expect(c.values["aws-region"]).toBeUndefined();
  });

  it("--pin-packages and --no-pin-packages win over the -dev rule", async () => {
    expect(
      (await config("--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--reposuffix", "-dev", "--pin-packages")).values["pin-packages"],
    ).toEqual({ value: true, source: "flag" });
    expect((await config("--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--no-pin-packages")).values["pin-packages"]).toEqual({
      value: false,
      source: "flag",
    });
  });

  it("fills EBS autoscaler defaults from the volume type", async () => {
    const c = await config("--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--aws-ebs-autoscale");
    expect(c.values["ebs-volume-iops"]).toEqual({ value: 3000, source: "inferred" });
    expect(c.values["ebs-volume-throughput"]).toEqual({ value: 125, source: "inferred" });
    expect(c.values["ebs-max-volume-size"]).toEqual({ value: 1500, source: "default" });
  });

  it("keeps a site's own JSON template with the variables build.sh would pass, in build.sh's order", async () => {
    const tpl = join(dir, "site-template.json");
    const c = await config(
      "--json-file",
      tpl,
      "--arvados-cluster-id",
      "zzzzz",
      "--public-key-file",
      EXAMPLE_KEY,
      "--aws-source-ami",
      "ami-12345678",
      "--resolver",
      "10.0.0.2",
      "--nvidia-gpu-support",
    );
    expect(c.cloud).toEqual({ value: "aws", source: "inferred" });
    expect(c.legacyTemplate?.path).toBe(tpl);
    expect(c.legacyTemplate?.variables.map(([k]) => k)).toEqual([
      "arvados_cluster",
      "aws_source_ami",
      "aws_default_region",
      "aws_associate_public_ip_address",
      "aws_ena_support",
      "resolver",
      "pin_packages",
      "public_key_file",
      "mksquashfs_mem",
      "nvidia_gpu_support",
      "goversion",
    ]);
  });

  it("names the Packer version's source", async () => {
    expect((await config("--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY)).packer).toEqual({ version: "1.6.6", source: "flag" });
  });

  it("warns when --mksquashfs-mem cannot apply (real CLI run)", async () => {
    const r = await runCli(["config", "--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--runtime-engine", "docker", "--mksquashfs-mem", "1G"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("--mksquashfs-mem 1G has no effect with --runtime-engine docker");
  });
});
