/** `--mirror` and `arv-image urls`: what a build contacts, and redirecting the scripts' downloads. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_KEY, runCli } from "../support/cli.js";

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "arv-image-urls-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BASE = ["--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--packer-version", "1.6.6"];
interface Doc {
  schema: string;
  urls: { url: string; from: string; purpose: string }[];
}
const urls = async (args: string[]) => {
  const r = await runCli(["urls", ...BASE, ...args, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Doc).urls.map((u) => `${u.from}: ${u.url}`);
};

describe("arv-image urls", () => {
  it("lists the cloud API and exactly the downloads the enabled features make", async () => {
    const docker = await urls(["--cloud", "aws", "--aws-region", "eu-west-1", "--runtime-engine", "docker"]);
    expect(docker).toEqual([
      "this machine: https://ec2.eu-west-1.amazonaws.com",
      "this machine: https://sts.eu-west-1.amazonaws.com",
      "builder VM: the base image's own Debian mirror",
      "builder VM: https://apt.arvados.org/",
      "builder VM: https://apt.arvados.org/pubkey.gpg",
      "builder VM: https://download.docker.com/linux/debian",
      "builder VM: https://download.docker.com/linux/debian/gpg",
    ]);
    const all = await urls(["--cloud", "aws", "--nvidia-gpu-support", "--aws-ebs-autoscale", "--packer-version", "1.11.2"]);
    expect(all).toContain("this machine: https://github.com");
    // Packer 1.11 fetches plugins from GitHub only; 1.14 and later from releases.hashicorp.com first.
    expect(all.filter((u) => u.includes("releases.hashicorp.com"))).toEqual([]);
    const current = await urls(["--cloud", "aws", "--packer-version", "1.14.2"]);
    expect(current.filter((u) => u.startsWith("this machine: https://") && !u.includes("amazonaws"))).toEqual([
      "this machine: https://releases.hashicorp.com",
      "this machine: https://api.github.com",
      "this machine: https://github.com",
    ]);
    expect(all.filter((u) => u.includes("nvidia"))).toHaveLength(4);
    expect(all).toContain("builder VM: https://go.dev/dl/go1.25.6.linux-amd64.tar.gz");
    expect(all.some((u) => u.startsWith("builder VM: https://github.com/arvados/amazon-ebs-autoscale/archive/"))).toBe(true);
    const azure = await urls(["--cloud", "azure", "--azure-resource-group", "rg", "--azure-sku", "12-gen2", "--azure-cloud-environment", "China", "--runtime-engine", "docker"]);
    expect(azure.slice(0, 2)).toEqual(["this machine: https://login.chinacloudapi.cn", "this machine: https://management.chinacloudapi.cn"]);
  });

  it("--mirror replaces a source everywhere: in urls and in the rendered scripts", async () => {
    const m = [
      "--mirror",
      "arvados-apt=http://mirror.internal/arvados/",
      "--mirror",
      "docker-key=http://mirror.internal/keys/docker.asc",
      "--mirror",
      "go=https://mirror.internal/go",
    ];
    const list = await urls(["--cloud", "aws", ...m]);
    expect(list).toContain("builder VM: http://mirror.internal/arvados/");
    expect(list).toContain("builder VM: http://mirror.internal/keys/docker.asc");
    expect(list).toContain("builder VM: https://mirror.internal/go/go1.25.6.linux-amd64.tar.gz");
    expect(list.join("\n")).not.toContain("apt.arvados.org/\n");

    const out = join(tmp, "mirrored");
    const r = await runCli(["render", "--cloud", "aws", ...BASE, ...m, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const prelude = readFileSync(join(out, "scripts/lib/prelude.sh"), "utf8");
    expect(prelude).toContain("readonly ARVADOS_APT_URL='http://mirror.internal/arvados'");
    expect(prelude).toContain("readonly DOCKER_KEY_URL='http://mirror.internal/keys/docker.asc'");
    expect(prelude).toContain("readonly GO_URL='https://mirror.internal/go'");
    expect(prelude).toContain("readonly ARVADOS_KEY_URL='https://apt.arvados.org/pubkey.gpg'");
  });

  it.each([
    ["an unknown source", "arvados=http://x", /"arvados" is not a source arv-image downloads from/],
    ["a URL that is not http(s)", "go=ftp://mirror/go", /"ftp:\/\/mirror\/go" is not an http:\/\/ or https:\/\/ URL/],
    ["a URL with a quote", "go=http://mirror/go'x", /is not an http:\/\/ or https:\/\/ URL without spaces or quotes/],
    ["no URL", "go", /"" is not an http/],
  ])("refuses %s (exit 2, the names listed)", async (_, value, message) => {
    const r = await runCli(["urls", "--cloud", "aws", ...BASE, "--mirror", value]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain("arvados-apt, arvados-key, docker-apt");
  });

  it("refuses the same source twice", async () => {
    const r = await runCli(["urls", "--cloud", "aws", ...BASE, "--mirror", "go=http://a/go", "--mirror", "go=http://b/go"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("go is given twice");
  });
});

describe("arv-image provision: the command line", () => {
  it("needs --ssh-host and a private key, reported together with other problems (exit 2, nothing written)", async () => {
    const r = await runCli(["provision", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--ssh-private-key-file", EXAMPLE_KEY, "--ssh-port", "70000"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--ssh-host is required for provision");
    expect(r.stderr).toMatch(/--ssh-private-key-file ".*dispatch\.pub": it does not hold a private key/);
    expect(r.stderr).toContain('--ssh-port "70000"');
    expect(r.stdout).toBe("");
  });
});
