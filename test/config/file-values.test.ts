/**
 * Input from files is input: a value read from --arvados-config that stands for a flag goes
 * through that flag's own check (the flag row's zod type), and the message names the file and
 * the key; and the --emit-config YAML is made by a serializer, so whatever names the cluster
 * config holds read back exactly as they were meant.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flagByKey } from "../../dist/config/flags.js";
import { clusterConfigFragment } from "../../dist/render/cluster-config.js";
import { problemsOf, resolved } from "../support/resolve.js";

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "arv-image-file-values-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(yaml: string): string {
  const p = join(dir, `config-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(p, yaml);
  return p;
}
const cluster = (id: string, containers: string) => `Clusters:\n  ${JSON.stringify(id)}:\n    Containers:\n${containers}`;
const admin = (v: string) => `      CloudVMs:\n        DriverParameters:\n          AdminUsername: ${JSON.stringify(v)}\n`;

/** [config key, the flag it stands for, the file, the key path the message must name] — values the flag itself refuses. */
const CASES: [string, string, string, string][] = [
  ["cluster id with a newline (would add a line to authorized_keys)", "arvadosClusterId", cluster("zz\nzz", admin("crunch")), 'Clusters key "zz\\nzz"'],
  ["cluster id in capitals", "arvadosClusterId", cluster("ZZZZZ", admin("crunch")), 'Clusters key "ZZZZZ"'],
  ["AdminUsername with a space", "loginUser", cluster("zzzzz", admin("x y")), 'Clusters.zzzzz.Containers.CloudVMs.DriverParameters.AdminUsername "x y"'],
  ["AdminUsername root plus a second line", "loginUser", cluster("zzzzz", admin("root\nssh-ed25519 AAAA")), "AdminUsername"],
  ["AdminUsername with an escape sequence", "loginUser", cluster("zzzzz", admin("cr\u001b[2Junch")), "AdminUsername"],
  ["AdminUsername starting with a digit", "loginUser", cluster("zzzzz", admin("9crunch")), 'AdminUsername "9crunch"'],
];

describe("values from --arvados-config get their flag's checks", () => {
  it.each(CASES)("%s", async (_name, key, yaml, where) => {
    const path = config(yaml);
    const problems = await problemsOf("render", ["--out", join(dir, "never"), "--cloud", "aws", "--packer-version", "1.6.6", "--arvados-config", path]);
    const text = problems.join("\n\n");
    expect(text).toContain(`--arvados-config ${JSON.stringify(path)}: `);
    expect(text).toContain(where);
    const f = flagByKey(key);
    if (!where.startsWith("Clusters key") || key !== "arvadosClusterId") expect(text).toContain(`expected ${f.expect}`);
    expect(text).toContain(`(as for --${f.name})`);
    expect(text).not.toMatch(CONTROL);
    for (const p of problems) expect(p).not.toContain("\n");
  });

  it("the message has the shape of a flag's: file and key, quoted value, what is expected, an example", async () => {
    const path = config(cluster("zzzzz", admin("x y")));
    expect(await problemsOf("render", ["--out", join(dir, "never"), "--cloud", "aws", "--arvados-config", path])).toEqual([
      `--arvados-config ${JSON.stringify(path)}: Clusters.zzzzz.Containers.CloudVMs.DriverParameters.AdminUsername "x y": expected ${flagByKey("loginUser").expect} (as for --login-user), e.g. AdminUsername: crunch.`,
    ]);
  });

  it("any string setting with a control character is refused, shown escaped", async () => {
    for (const yaml of [
      cluster("zzzzz", `      CloudVMs:\n        Driver: "ec2\\e[31m"\n`),
      cluster("zzzzz", `      CloudVMs:\n        DriverParameters:\n          IAMInstanceProfile: "prof\\nile"\n`),
      `Clusters:\n  zzzzz:\n    InstanceTypes:\n      "m5\\u0085large": {ProviderType: m5.large}\n`,
      `Clusters:\n  zzzzz:\n    InstanceTypes:\n      m5.large: {ProviderType: "m5.large\\r"}\n`,
    ]) {
      const problems = await problemsOf("render", ["--out", join(dir, "never"), "--cloud", "aws", "--arvados-config", config(yaml)]);
      expect(problems.length, yaml).toBeGreaterThan(0);
      expect(problems.join("\n")).toContain("--arvados-config");
      expect(problems.join("\n")).not.toMatch(CONTROL);
    }
  });

  it("a valid AdminUsername and cluster id are taken", async () => {
    const c = await resolved("render", [
      "--out",
      join(dir, "never"),
      "--cloud",
      "aws",
      "--public-key-file",
      "test/fixtures/dispatch.pub",
      "--arvados-config",
      config(cluster("xyzzy", admin("arvados"))),
    ]);
    expect(c.options.loginUser).toBe("arvados");
    expect(c.options.arvadosClusterId).toBe("xyzzy");
  });
});

describe("--emit-config YAML", () => {
  // Names a cluster config may hold (printable, no control characters), and ids as clouds give them.
  const name = fc
    .string({ unit: fc.constantFrom(..."abcAZ09 :#{}[],&*!|>'\"%@`-?.~\\/yesnoYESNOnull=\u00e9\u{1f600}"), minLength: 1, maxLength: 12 })
    .filter((s) => s.trim() !== "");
  it("reads back (YAML 1.1, as arvados-server reads it) exactly as meant, whatever the names", () => {
    fc.assert(
      fc.property(fc.constantFrom("aws", "azure", "gcp"), fc.array(name, { minLength: 1, maxLength: 4 }), name, name, name, (cloud, types, profile, image, rg) => {
        const text = clusterConfigFragment({
          clusterId: "zzzzz",
          cloud,
          images: [
            { id: image, region: "us-east-1", name: image, resourceGroup: rg },
            { id: "x", region: image },
          ],
          ebsAutoscale: cloud === "aws",
          instanceTypes: [...new Set(types)].map((t) => ({ name: t, addedScratch: image })),
          iamInstanceProfile: profile,
        });
        expect(text).not.toMatch(CONTROL.source.includes("\\u000a") ? CONTROL : /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
        const doc = parse(text, { version: "1.1" }) as {
          Clusters: Record<string, { Containers: { CloudVMs: { ImageID: string; DriverParameters?: Record<string, string> } }; InstanceTypes?: Record<string, unknown> }>;
        };
        const z = doc.Clusters.zzzzz!;
        expect(z.Containers.CloudVMs.ImageID).toBe(image);
        if (cloud === "aws") {
          expect(z.Containers.CloudVMs.DriverParameters?.IAMInstanceProfile).toBe(profile);
          expect(Object.keys(z.InstanceTypes ?? {}).sort()).toEqual([...new Set(types)].sort());
        }
        if (cloud === "azure") expect(z.Containers.CloudVMs.DriverParameters?.ImageResourceGroup).toBe(rg);
      }),
    );
  });
});
