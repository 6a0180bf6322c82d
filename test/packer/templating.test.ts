/**
 * Packer 1.6.6 runs many builder and communicator settings through Go's text/template after
 * HCL2 has evaluated them: an AWS profile named "{{timestamp}}" would build with a profile
 * named after the clock. Which of the values arv-image writes into the var file are
 * templated is found here with the real Packer 1.6.6 (each string variable in turn is set to
 * "{{an undefined function}}" and `packer validate` tells whether it evaluated it), and every
 * such variable's flag must refuse "{{".
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flagByKey } from "../../dist/config/flags.js";
import { renderBuildDir, VAR_FILE } from "../../dist/render/build-dir.js";
import { EXAMPLE_KEY } from "../support/cli.js";
import { problemsOf, resolved } from "../support/resolve.js";
import { packer, requireTool } from "../support/tools.js";

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

let tmp: string;
beforeAll(async () => {
  await requireTool("packer", ["version"]);
  tmp = mkdtempSync(join(tmpdir(), "arv-image-templating-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(tmp, "id")]);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The flag each string variable of the var file comes from. */
const FLAG_OF_VAR: Record<string, string> = {
  arvados_cluster: "arvadosClusterId",
  workdir: "workdir",
  ssh_username: "sshUser",
  aws_profile: "awsProfile",
  aws_region: "awsRegion",
  aws_source_ami: "awsSourceAmi",
  aws_instance_type: "awsInstanceType",
  aws_vpc_id: "awsVpcId",
  aws_subnet_id: "awsSubnetId",
  aws_root_device: "awsRootDevice",
  resource_group: "azureResourceGroup",
  location: "azureLocation",
  cloud_environment_name: "azureCloudEnvironment",
  image_publisher: "azureImagePublisher",
  image_offer: "azureImageOffer",
  image_sku: "azureSku",
  vm_size: "azureVmSize",
  project_id: "gcpProjectId",
  account_file: "gcpAccountFile",
  zone: "gcpZone",
  source_image_family: "gcpSourceImageFamily",
  source_image_project: "gcpSourceImageProject",
  machine_type: "gcpMachineType",
  ssh_host: "sshHost",
  ssh_private_key_file: "sshPrivateKeyFile",
};

/** Variables arv-image sets itself, from no user input. */
const CONSTANT = new Set(["ssh_timeout", "build_id", "build_expires", "image_timestamp", "image_epoch"]);

const base = ["--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--packer-version", "1.6.6"];
const TARGETS: [string, "render" | "provision", () => string[], "aws" | "azure" | "gcp" | "none"][] = [
  ["aws", "render", () => ["--cloud", "aws", "--out", join(tmp, "never"), "--aws-profile", "p"], "aws"],
  ["azure", "render", () => ["--cloud", "azure", "--out", join(tmp, "never"), "--azure-resource-group", "rg", "--azure-sku", "12-gen2"], "azure"],
  ["gcp", "render", () => ["--cloud", "gcp", "--out", join(tmp, "never"), "--gcp-project-id", "my-project"], "gcp"],
  ["provision", "provision", () => ["--ssh-host", "10.0.0.1", "--ssh-private-key-file", join(tmp, "id")], "none"],
];

/** The string variables Packer 1.6.6 evaluates as Go templates, for one target. */
async function templatedVars(
  name: string,
  command: "render" | "provision",
  args: string[],
  target: "aws" | "azure" | "gcp" | "none",
): Promise<{ all: string[]; templated: string[] }> {
  const c = await resolved(command, [...base, ...args]);
  const dir = mkdtempSync(join(tmp, `${name}-`));
  writeFiles(dir, Object.fromEntries(renderBuildDir(c, target).files.map((f: { path: string; content: string }) => [f.path, f.content])));
  const varFile = readFileSync(join(dir, VAR_FILE), "utf8");
  const clean = await packer(["validate", "."], dir);
  expect(clean.stdout + clean.stderr, "the unchanged render validates").toBe("");
  const all = [...varFile.matchAll(/^([a-z_0-9]+) += "/gm)].map((m) => m[1]!);
  const templated: string[] = [];
  for (const v of all.filter((x) => !CONSTANT.has(x))) {
    writeFileSync(join(dir, VAR_FILE), varFile.replace(new RegExp(`^(${v} += )".*"$`, "m"), `$1"x{{undefined_fn_${v}}}"`));
    const r = await packer(["validate", "."], dir);
    if ((r.stdout + r.stderr).includes(`function "undefined_fn_${v}" not defined`)) templated.push(v);
  }
  return { all, templated };
}

describe("values Packer 1.6.6 would evaluate as templates", () => {
  it.each(TARGETS)('%s: every templated variable\'s flag refuses "{{"', async (name, command, args, target) => {
    const { all, templated } = await templatedVars(name, command, args(), target);
    expect(all.length).toBeGreaterThan(3);
    for (const v of templated) {
      const key = FLAG_OF_VAR[v];
      expect(key, `${v} is templated by Packer: which flag sets it, and does it refuse "{{"?`).toBeDefined();
      const f = flagByKey(key!);
      for (const value of ["{{timestamp}}", "a{{ .Name }}b", "/tmp/{{user `x`}}/key"]) expect(f.type.safeParse(value).success, `--${f.name} ${value}`).toBe(false);
    }
    // What the bug report was about, seen with the real Packer.
    if (name === "aws") expect(templated).toContain("aws_profile");
    if (name === "gcp") expect(templated).toContain("account_file");
    if (name === "provision") expect(templated).toContain("ssh_private_key_file");
  });

  it("the refusal names the flag and says why", async () => {
    const [p] = await problemsOf("render", [...base, "--cloud", "aws", "--out", join(tmp, "never"), "--aws-profile", "{{timestamp}}"]);
    expect(p).toMatch(/^--aws-profile "\{\{timestamp\}\}": Packer 1\.6\.6 and later evaluate "\{\{ \}\}" in this setting as a Go template.*e\.g\. --aws-profile arvados-build\.$/);
  });

  it("braces that open no template are taken as written", async () => {
    const c = await resolved("render", [...base, "--cloud", "aws", "--out", join(tmp, "never"), "--aws-profile", "a}}b{c{ {d"]);
    const dir = mkdtempSync(join(tmp, "braces-"));
    writeFiles(dir, Object.fromEntries(renderBuildDir(c, "aws").files.map((f: { path: string; content: string }) => [f.path, f.content])));
    const r = await packer(["validate", "."], dir);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});
