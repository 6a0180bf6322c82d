/** The resolved configuration is frozen; preflight's choices make a new one. */
import { describe, expect, it } from "vitest";
import { withInferred } from "../../dist/config/resolved.js";
import { EXAMPLE_KEY } from "../support/cli.js";
import { rawOptions, resolved, unusedOut } from "../support/resolve.js";
import { DEFAULT_PACKER, resolveConfig } from "../../dist/config/resolve.js";

const aws = ["--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--packer-version", "1.6.6"];

describe("resolveConfig", () => {
  it("returns a deeply frozen configuration", async () => {
    const c = await resolved("render", [...aws, "--out", unusedOut(), "--hosts-entry", "10.0.0.1 a.example"]);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.options)).toBe(true);
    expect(Object.isFrozen(c.hostsEntries[0])).toBe(true);
    expect(() => {
      (c.options as { awsRegion: string }).awsRegion = "eu-west-1";
    }).toThrow(TypeError);
  });

  it("hands the command its own options, typed", async () => {
    const c = await resolved("gc", ["--cloud", "aws", "--dry-run", "--older-than", "90m"]);
    expect(c.command).toMatchObject({ name: "gc", dryRun: true, json: false, olderThan: 90 * 60_000 });
    const r = await resolved("render", [...aws, "--out", "./build-x"]);
    expect(r.command).toMatchObject({ name: "render", out: "./build-x" });
  });
});

describe("the Packer rendered for", () => {
  const noVersion = ["--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--out", unusedOut()];
  it("is the Packer found, when it can run arv-image's HCL2", async () => {
    const r = await resolveConfig({ command: "render", raw: rawOptions("render", noVersion), detectedPackerVersion: "1.9.4" });
    expect(r.ok && r.config.packer).toEqual({ version: "1.9.4", source: "detected" });
  });

  it("is not a Packer too old to run it (validate and build refuse that one): the default, with a warning naming both", async () => {
    const r = await resolveConfig({ command: "render", raw: rawOptions("render", noVersion), detectedPackerVersion: "1.5.0" });
    expect(r.ok && r.config.packer).toEqual({ version: DEFAULT_PACKER, source: "default" });
    expect(r.ok && r.config.warnings.join("\n")).toMatch(
      new RegExp(`packer found is 1\\.5\\.0, older than .*1\\.6\\.6.*rendered for Packer ${DEFAULT_PACKER.replaceAll(".", "\\.")} instead.*--packer-version`),
    );
  });
});

describe("withInferred", () => {
  it("returns a new frozen configuration with preflight's choices, marked detected, and leaves the old one", async () => {
    const c = await resolved("build", aws);
    const n = withInferred(c, { awsSourceAmi: { id: "ami-0123456789abcdef0" }, awsRootDevice: "/dev/xvda", sshUser: "debian" });
    expect(n).not.toBe(c);
    expect(Object.isFrozen(n) && Object.isFrozen(n.options)).toBe(true);
    expect(n.options).toMatchObject({ awsSourceAmi: "ami-0123456789abcdef0", awsRootDevice: "/dev/xvda", sshUser: "debian" });
    expect(n.sources).toMatchObject({ awsSourceAmi: "detected", awsRootDevice: "detected", sshUser: "detected" });
    expect(c.options.awsSourceAmi).toBeUndefined();
    expect(c.options.sshUser).toBe("admin");
    expect(c.sources.sshUser).toBe("inferred");
  });

  it("keeps what the command line gave", async () => {
    const c = await resolved("build", [...aws, "--aws-source-ami", "ami-12345678", "--ssh-user", "admin"]);
    const n = withInferred(c, { awsSourceAmi: { id: "ami-0123456789abcdef0" }, sshUser: "ubuntu" });
    expect(n.options.awsSourceAmi).toBe("ami-12345678");
    expect(n.options.sshUser).toBe("admin");
    expect(n.sources.sshUser).toBe("flag");
  });
});

describe("command rules", () => {
  it("provision needs the machine and a private key, reported with the flags' own problems", async () => {
    const { problemsOf } = await import("../support/resolve.js");
    const problems = await problemsOf("provision", ["--arvados-cluster-id", "Zz", "--public-key-file", EXAMPLE_KEY]);
    expect(problems[0]).toBe("--ssh-host is required for provision: the machine to provision, e.g. --ssh-host 10.0.0.12.");
    expect(problems[1]).toContain("--ssh-private-key-file is required for provision");
    expect(problems[2]).toContain('--arvados-cluster-id "Zz"');
    expect(
      await problemsOf("provision", ["--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--ssh-host", "10.0.0.1", "--ssh-private-key-file", EXAMPLE_KEY]),
    ).toEqual([
      `--ssh-private-key-file "${EXAMPLE_KEY}": it does not hold a private key (a public key goes in the machine's authorized_keys); expected a readable SSH private key file, e.g. --ssh-private-key-file ~/.ssh/id_ed25519.`,
    ]);
  });
});
