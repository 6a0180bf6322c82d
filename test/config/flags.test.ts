/** The flag table is the one declaration: the schema, commands and defaults derive from its rows. */
import { describe, expect, it } from "vitest";
import { ALL_COMMANDS, COMMAND_OPTION_KEYS, FLAGS, IMAGE_COMMANDS, choicesOf, flagsFor } from "../../dist/config/flags.js";
import { optionsSchema } from "../../dist/config/schema.js";

describe("the flag table", () => {
  it("gives every row a zod type", () => {
    for (const f of FLAGS) {
      expect(f.type, f.name).toBeDefined();
      expect(typeof f.type.safeParse, f.name).toBe("function");
    }
  });

  it("is where the schema's keys come from: the same keys, nothing more", () => {
    expect(Object.keys(optionsSchema.shape).sort()).toEqual(FLAGS.map((f) => f.key).sort());
  });

  it("writes each default as on the command line, and the row's type accepts it", () => {
    for (const f of FLAGS) {
      if (f.default === undefined) continue;
      expect(f.type.safeParse(f.default).success, `${f.name} default ${JSON.stringify(f.default)}`).toBe(true);
      if (f.kind === "value") expect(typeof f.default, f.name).toBe("string");
    }
  });

  it("applies the rows' defaults, parsed (absent stays undefined)", () => {
    const o = optionsSchema.parse({});
    expect(o.awsVolumeSize).toBe(20);
    expect(o.olderThan).toBe(2 * 3_600_000);
    expect(o.awsAssociatePublicIp).toBe(true);
    expect(o.hostsEntry).toEqual([]);
    expect(o.awsSourceAmi).toBeUndefined();
  });

  it("states the commands of every row; gc takes only the account flags and its own", () => {
    for (const f of FLAGS) {
      expect(f.commands.length, f.name).toBeGreaterThan(0);
      for (const c of f.commands) expect(ALL_COMMANDS).toContain(c);
    }
    expect(
      flagsFor("gc")
        .map((f) => f.name)
        .sort(),
    ).toEqual(
      [
        "cloud",
        "aws-profile",
        "aws-secrets-file",
        "aws-region",
        "aws-ami-regions",
        "azure-secrets-file",
        "azure-cloud-environment",
        "json",
        "dry-run",
        "older-than",
        "build-id",
        "log-format",
        "log-level",
      ].sort(),
    );
    expect(flagsFor("render").map((f) => f.name)).toContain("arvados-cluster-id");
  });

  it("marks the options only some commands take as command options", () => {
    expect([...COMMAND_OPTION_KEYS].sort()).toEqual(
      FLAGS.filter((f) => f.commands !== IMAGE_COMMANDS && f.commands !== ALL_COMMANDS)
        .map((f) => f.key)
        .sort(),
    );
    expect(COMMAND_OPTION_KEYS).toEqual(expect.arrayContaining(["out", "json", "dryRun", "olderThan", "sshHost"]));
    expect(COMMAND_OPTION_KEYS).not.toContain("awsRegion");
  });

  it("knows the values of enum flags (for completion)", () => {
    const by = (name: string) => FLAGS.find((f) => f.name === name)!;
    expect(choicesOf(by("cloud"))).toEqual(["aws", "azure", "gcp"]);
    expect(choicesOf(by("aws-ena-support"))).toEqual(["true", "false"]);
    expect(choicesOf(by("skip-check"))).toContain("aws.instance-type");
    expect(choicesOf(by("aws-region"))).toBeUndefined();
  });
});
