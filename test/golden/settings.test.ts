/**
 * What the rendered templates tell Packer, read back with HashiCorp's HCL2 parser and
 * real Packer (`packer inspect` keeps provisioner order, which the parser loses).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packer, packerEval, parseHcl } from "../support/tools.js";
import { goldenFile, materialize } from "./tree.js";
type Block = Record<string, unknown>;
async function source(c: string, v: string, cloud: string, type: string): Promise<Block> {
  const doc = (await parseHcl(`${cloud}.pkr.hcl`, goldenFile(c, v, `${cloud}.pkr.hcl`))) as {
    source: Record<string, { compute: Block[] }>;
  };
  return doc.source[type]?.compute[0] ?? {};
}

describe("amazon-ebs settings", () => {
  it("keeps the reference's builder settings and adds terminate-on-shutdown and build-id tags", async () => {
    const s = await source("aws-minimal", "1.6.6", "aws", "amazon-ebs");
    expect(s.shutdown_behavior).toBe("terminate");
    expect(s.temporary_key_pair_type).toBe("ed25519");
    expect(s.launch_block_device_mappings).toEqual([
      { device_name: "${var.aws_root_device}", volume_size: "${var.aws_volume_size}", volume_type: "gp3", iops: 3000, throughput: 125, delete_on_termination: true },
    ]);
    // Debian's root device unless --aws-root-device (or preflight, from the AMI) says otherwise.
    expect(goldenFile("aws-minimal", "1.6.6", "arv-image.auto.pkrvars.hcl")).toMatch(/^aws_root_device += "\/dev\/xvda"$/m);
    expect(s.ami_block_device_mappings).toEqual([
      { device_name: "/dev/xvdb", virtual_name: "ephemeral0" },
      { device_name: "/dev/xvdc", virtual_name: "ephemeral1" },
    ]);
    for (const tags of ["tags", "run_tags", "run_volume_tags", "snapshot_tags"]) {
      expect(s[tags]).toMatchObject({ "arv-image-build-id": "${var.build_id}" });
    }
    expect(s.custom_endpoint_ec2).toBe("${var.custom_endpoint_ec2}");
    expect(s.ssh_host).toBe("${var.ssh_host}");
  });

  it("looks up Debian 12 without --aws-source-ami, and uses the AMI given otherwise", async () => {
    const lookup = await source("aws-minimal", "1.6.6", "aws", "amazon-ebs");
    expect(lookup.source_ami).toBeUndefined();
    expect(JSON.stringify(lookup.source_ami_filter)).toContain("136693071363");
    const given = await source("aws-gpu-ebs-network-dev", "1.6.6", "aws", "amazon-ebs");
    expect(given.source_ami).toBe("${var.aws_source_ami}");
    expect(given.source_ami_filter).toBeUndefined();
  });

  it("requires IMDSv2 only where the amazon plugin exists (Packer >= 1.7)", async () => {
    const old = await source("aws-minimal", "1.6.6", "aws", "amazon-ebs");
    expect(old.metadata_options).toBeUndefined();
    expect(old.imds_support).toBeUndefined();
    const current = await source("aws-minimal", "1.11.2", "aws", "amazon-ebs");
    expect(current.metadata_options).toEqual([{ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 }]);
    expect(current.imds_support).toBe("v2.0");
  });
});

describe("azure-arm and googlecompute settings", () => {
  it("Azure: managed image in the resource group, credentials only from the environment", async () => {
    const s = await source("azure-minimal", "1.6.6", "azure", "azure-arm");
    expect(s.managed_image_resource_group_name).toBe("${var.resource_group}");
    expect(s.managed_image_name).toBe("${var.arvados_cluster}-compute-v${local.image_version}");
    const vars = goldenFile("azure-minimal", "1.6.6", "variables.pkr.hcl");
    expect(vars).toMatch(/variable "client_secret" \{\n\s+type\s+= string\n\s+default\s+= env\("ARM_CLIENT_SECRET"\)\n\s+sensitive = true/);
    const values = goldenFile("azure-minimal", "1.6.6", "arv-image.auto.pkrvars.hcl");
    expect(values).toContain('image_publisher        = "Debian"');
    expect(values).not.toMatch(/aws_/);
  });

  it("GCP: image family and build-id labels", async () => {
    const s = await source("gcp", "1.6.6", "gcp", "googlecompute");
    expect(s.image_family).toBe("arvados-${var.arvados_cluster}-compute");
    expect(s.labels).toMatchObject({ "arv-image-build-id": "${var.build_id}" });
  });
});

describe("provisioner order (packer inspect)", () => {
  it("every image reboots into an upgraded kernel after 10-base, before the other scripts (GPU images too)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "arv-image-inspect-"));
    materialize("aws-gpu-ebs-network-dev", "1.6.6", dir);
    const r = await packer(["inspect", "."], dir).finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(r.code).toBe(0);
    const provisioners = r.stdout.slice(r.stdout.indexOf("provisioners:")).split("\n").map((l) => l.trim()).filter((l) => /^(shell|file)$/.test(l));
    // stage, upload files/ and the prelude, 10-base, reboot, stage and upload again (the reboot empties /tmp), the rest
    expect(provisioners).toEqual(["shell", "file", "file", "shell", "shell", "shell", "file", "file", "shell"]);
    const hcl = goldenFile("aws-gpu-ebs-network-dev", "1.6.6", "aws.pkr.hcl");
    expect(hcl.indexOf('["10-base.sh"]')).toBeLessThan(hcl.indexOf("expect_disconnect"));
    expect(hcl.indexOf("expect_disconnect")).toBeLessThan(hcl.indexOf('"15-kernel.sh", "20-arvados.sh", "30-nvidia.sh"'));
  });

  it("a CPU image has the same reboot step, then runs the other scripts in one pass, in order", async () => {
    const hcl = goldenFile("aws-minimal", "1.6.6", "aws.pkr.hcl");
    expect(hcl).toContain('["10-base.sh"]');
    expect(hcl).toContain('["15-kernel.sh", "20-arvados.sh", "40-docker.sh", "50-singularity.sh", "60-encrypted-tmp.sh", "70-network.sh", "80-login-user.sh", "90-check-contract.sh", "99-hygiene.sh"]');
    expect(hcl.indexOf('["10-base.sh"]')).toBeLessThan(hcl.indexOf("expect_disconnect"));
    expect(hcl.indexOf("expect_disconnect")).toBeLessThan(hcl.indexOf('"15-kernel.sh"'));
  });
});

describe("the prelude", () => {
  it("is staged where every script sources it from, under the staging directory 99-hygiene removes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "arv-image-prelude-"));
    try {
      materialize("aws-workdir-no-pin", "1.6.6", dir);
      // Real Packer evaluates where the staging directory is (--workdir /var/tmp/arv-build).
      const staging = await packerEval<string>(dir, "local.staging");
      expect(staging).toBe("/var/tmp/arv-build/arv-image");
      const doc = (await parseHcl("aws.pkr.hcl", goldenFile("aws-workdir-no-pin", "1.6.6", "aws.pkr.hcl"))) as { build: { provisioner: Record<string, Block[]> }[] };
      expect(doc.build[0]?.provisioner.file).toContainEqual({ source: "${path.root}/scripts/lib/prelude.sh", destination: "${local.staging}/lib/prelude.sh" });
      const script = goldenFile("aws-workdir-no-pin", "1.6.6", "scripts/10-base.sh");
      expect(script).toContain(`\nARV_PRELUDE='${staging}'/lib/prelude.sh\n`);
      expect(goldenFile("aws-workdir-no-pin", "1.6.6", "scripts/lib/prelude.sh")).toContain(`\nreadonly STAGING='${staging}'\n`);
      expect(goldenFile("aws-workdir-no-pin", "1.6.6", "scripts/99-hygiene.sh")).toMatch(/^  rm -rf -- "\$STAGING"$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
