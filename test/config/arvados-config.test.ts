/**
 * Reading the Arvados cluster config (--arvados-config): the dispatcher's public key derived
 * from Containers.DispatchPrivateKey (checked against the real `ssh-keygen -y` / `-l`), the
 * cluster facts, cluster selection, and the cross-checks against the build flags.
 * The keys are throwaway test fixtures (test/fixtures/arvados-config/README.md).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crossCheck, readArvadosConfig } from "../../dist/config/arvados-config.js";
import { publicKeyFromPrivate } from "../../dist/config/ssh-private-key.js";
import type { ArvadosClusterFacts, CrossCheckOptions } from "../../src/config/arvados-config.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/arvados-config/", import.meta.url));
const PASSPHRASE = "test-only-passphrase";

/** The keys, copied with mode 0600 (git does not keep it, and ssh-keygen refuses group/world-readable keys). */
let keys: string;
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "arv-image-arvados-config-"));
  keys = join(tmp, "keys");
  execFileSync("mkdir", ["-m", "700", keys]);
  for (const f of readdirSync(join(FIXTURES, "keys"))) {
    copyFileSync(join(FIXTURES, "keys", f), join(keys, f));
    chmodSync(join(keys, f), 0o600);
  }
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const keyText = (name: string) => readFileSync(join(keys, name), "utf8");
/** `ssh-keygen -y -f KEY`, without the comment. */
function sshKeygenY(name: string, passphrase = ""): string {
  const out = execFileSync("ssh-keygen", ["-y", "-P", passphrase, "-f", join(keys, name)], { encoding: "utf8" });
  return out.trim().split(/\s+/).slice(0, 2).join(" ");
}
/** The fingerprint `ssh-keygen -l -f PUBFILE` prints. */
function sshKeygenL(publicLine: string): string {
  const pub = join(tmp, `l-${Math.random().toString(36).slice(2)}.pub`);
  writeFileSync(pub, publicLine + " comment\n");
  const out = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", pub], { encoding: "utf8" });
  return out.trim().split(/\s+/)[1] ?? "";
}
/** The base64 lines of a PEM key: none of them may show up in a message. */
function keyMaterial(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => /^[A-Za-z0-9+/=]{16,}$/.test(l))
    .flatMap((l) => [l, l.slice(0, 16), l.slice(-16)]);
}
function expectNoKeyMaterial(messages: string[], text: string) {
  const all = messages.join("\n");
  expect(all).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
  for (const piece of keyMaterial(text)) expect(all).not.toContain(piece);
}
/** A config file in the temporary directory. */
function writeConfig(name: string, content: string): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}
const indent = (text: string, n: number) =>
  text
    .split("\n")
    .map((l) => (l === "" ? l : " ".repeat(n) + l))
    .join("\n");
function configWithInlineKey(name: string, key: string): string {
  return writeConfig(name, `Clusters:\n  zzzzz:\n    Containers:\n      DispatchPrivateKey: |\n${indent(key, 8)}\n`);
}
function facts(path: string, id?: string): ArvadosClusterFacts {
  const r = readArvadosConfig(path, id);
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r.cluster;
}
function problems(path: string, id?: string): string[] {
  const r = readArvadosConfig(path, id);
  if (r.ok) throw new Error("expected problems, got " + JSON.stringify(r.cluster));
  return r.problems;
}

describe("publicKeyFromPrivate", () => {
  const cases: [file: string, type: string][] = [
    ["ed25519", "ssh-ed25519"],
    ["rsa-openssh", "ssh-rsa"],
    ["rsa-pkcs1.key", "ssh-rsa"],
    ["rsa-pkcs8.key", "ssh-rsa"],
    ["ecdsa-p256-openssh", "ecdsa-sha2-nistp256"],
    ["ecdsa-p256-sec1.key", "ecdsa-sha2-nistp256"],
    ["ecdsa-p384-pkcs8.key", "ecdsa-sha2-nistp384"],
    ["ecdsa-p521-pkcs8.key", "ecdsa-sha2-nistp521"],
  ];
  it.each(cases)("%s gives what ssh-keygen -y and -l give", (file, type) => {
    const r = publicKeyFromPrivate(keyText(file));
    if (!r.ok) throw new Error(r.problem);
    expect(r.line).toBe(sshKeygenY(file));
    expect(r.type).toBe(type);
    expect(r.fingerprint).toBe(sshKeygenL(r.line));
    expect(r.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(r.encrypted).toBe(false);
  });

  it("reads an Ed25519 PKCS#8 key (the same key as the OpenSSH fixture: ssh-keygen 9.2 cannot read this one)", () => {
    const r = publicKeyFromPrivate(keyText("ed25519-pkcs8.key"));
    expect(r).toMatchObject({ ok: true, type: "ssh-ed25519", line: sshKeygenY("ed25519") });
  });

  it("gets the public key of a passphrase-protected OpenSSH key from its clear-text header", () => {
    const r = publicKeyFromPrivate(keyText("ed25519-passphrase"));
    expect(r).toMatchObject({ ok: true, type: "ssh-ed25519", line: sshKeygenY("ed25519-passphrase", PASSPHRASE), encrypted: true });
  });

  it("checks the private part of an unencrypted OpenSSH key (ssh-keygen and the dispatcher read it)", () => {
    const lines = keyText("ed25519").trim().split("\n");
    const bytes = Buffer.from(lines.slice(1, -1).join(""), "base64");
    // magic(15) cipher "none"(8) kdf "none"(8) kdfoptions(4) nkeys(4) public key(4+51) private length(4), then check1, check2
    const check2 = 15 + 8 + 8 + 4 + 4 + 55 + 4 + 4;
    expect(bytes.readUInt32BE(check2)).toBe(bytes.readUInt32BE(check2 - 4));
    bytes.writeUInt32BE((bytes.readUInt32BE(check2) + 1) >>> 0, check2);
    const body = bytes.toString("base64").replace(/.{70}/g, "$&\n");
    const text = `${lines[0]}\n${body}\n${lines[lines.length - 1]}\n`;
    const r = publicKeyFromPrivate(text);
    expect(r).toEqual({ ok: false, problem: "is an OpenSSH private key whose private part is damaged" });
  });

  it("accepts CRLF line ends and text around the PEM block", () => {
    const text = "\n  \n" + keyText("ed25519").replaceAll("\n", "\r\n") + "\n";
    expect(publicKeyFromPrivate(text)).toMatchObject({ ok: true, line: sshKeygenY("ed25519") });
  });

  it.each([
    ["rsa-pkcs1-encrypted.key", /encrypted PEM key/],
    ["rsa-pkcs8-encrypted.key", /encrypted PKCS#8 key/],
  ])("refuses the encrypted PEM key %s without showing it", (file, problem) => {
    const r = publicKeyFromPrivate(keyText(file));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toMatch(problem);
    expect(r.problem).toContain("ssh-keygen -p");
    expectNoKeyMaterial([r.problem], keyText(file));
  });

  it("refuses what is not a private key, saying what it is, without key material", () => {
    const pub = sshKeygenY("ed25519");
    const ed = keyText("ed25519");
    const rsa = keyText("rsa-pkcs1.key");
    const lines = ed.trim().split("\n");
    const damaged: [string, string, RegExp][] = [
      ["", "", /is empty/],
      [pub, "", /public key, not a private key/],
      ["just some text", "", /holds no "-----BEGIN/],
      // A YAML plain/folded scalar turns the line breaks into spaces.
      [ed.trim().replaceAll("\n", " "), ed, /line breaks are lost/],
      // Cut short: the header is still there, the public key is not complete.
      [[lines[0], lines[1], lines[lines.length - 1]].join("\n") + "\n", ed, /truncated or damaged/],
      [ed.replace(/^b3BlbnNz/m, "AAAAAAAA"), ed, /does not start with "openssh-key-v1"/],
      [ed.replace(/^(b3Bl.{6})./m, "$1!"), ed, /base64 data is damaged/],
      [rsa.replace(/^MII/m, "AAA"), rsa, /OpenSSL cannot read/],
      ["-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "", /"CERTIFICATE" PEM block/],
      ["-----BEGIN DSA PRIVATE KEY-----\nMIIB\n-----END DSA PRIVATE KEY-----\n", "", /DSA key/],
      ["PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n", "", /PuTTY/],
    ];
    for (const [text, original, problem] of damaged) {
      const r = publicKeyFromPrivate(text);
      expect(r.ok, text.slice(0, 40)).toBe(false);
      if (r.ok) continue;
      expect(r.problem).toMatch(problem);
      expectNoKeyMaterial([r.problem], original);
    }
  });
});

describe("readArvadosConfig", () => {
  it("reads an inline OpenSSH key, Docker, the EC2 driver and older CUDA instance types", () => {
    const f = facts(join(FIXTURES, "inline-ed25519.yml"), "zzzzz");
    expect(f).toEqual({
      configPath: join(FIXTURES, "inline-ed25519.yml"),
      clusterId: "zzzzz",
      dispatchPublicKey: {
        line: sshKeygenY("ed25519"),
        type: "ssh-ed25519",
        fingerprint: sshKeygenL(sshKeygenY("ed25519")),
        from: "inline",
        encrypted: false,
      },
      runtimeEngine: "docker",
      adminUsername: "crunch",
      driver: "ec2",
      imageId: "ami-0123456789abcdef0",
      bootProbeCommand: "sudo systemctl status docker",
      instanceTypes: [
        { name: "m5.large", providerType: "m5.large", includedScratch: 0, addedScratch: "50GB", gpu: false },
        { name: "g4dn.xlarge", providerType: "g4dn.xlarge", includedScratch: "125GB", addedScratch: 0, gpu: true, gpuStack: "cuda" },
        { name: "c5.large", providerType: "c5.large", gpu: false },
      ],
    });
  });

  it("reads an inline PKCS#1 key, Singularity, the Azure driver and newer GPU instance types", () => {
    const f = facts(join(FIXTURES, "inline-rsa-pem.yml"), undefined);
    expect(f.clusterId).toBe("yyyyy");
    expect(f.dispatchPublicKey).toMatchObject({ line: sshKeygenY("rsa-pkcs1.key"), type: "ssh-rsa", from: "inline" });
    expect(f).toMatchObject({ runtimeEngine: "singularity", adminUsername: "arvados", driver: "azure", bootProbeCommand: "docker ps -q" });
    expect(f.instanceTypes).toEqual([
      { name: "Standard_D2s_v3", providerType: "Standard_D2s_v3", includedScratch: "16GB", gpu: false },
      { name: "Standard_NC4as_T4_v3", providerType: "Standard_NC4as_T4_v3", includedScratch: "180GB", gpu: true, gpuStack: "cuda" },
      { name: "Standard_NV4ads_V710_v5", gpu: true, gpuStack: "rocm" },
    ]);
  });

  it("reads the key a file:// URL names, and says which file when it cannot", () => {
    const template = readFileSync(join(FIXTURES, "file-key.yml"), "utf8");
    const ok = writeConfig("file-key.yml", template.replaceAll("@KEYDIR@", keys));
    const f = facts(ok, "zzzzz");
    expect(f.dispatchPublicKey).toMatchObject({ line: sshKeygenY("ed25519"), from: join(keys, "ed25519") });
    expect(f.iamInstanceProfile).toBe("arvados-compute-ebs-autoscale");

    const gone = writeConfig("file-key-gone.yml", template.replaceAll("@KEYDIR@", join(tmp, "nowhere")));
    const [p, ...more] = problems(gone, "zzzzz");
    expect(more).toEqual([]);
    expect(p).toContain(`--arvados-config "${gone}": Clusters.zzzzz.Containers.DispatchPrivateKey is "file://${join(tmp, "nowhere")}/ed25519"`);
    expect(p).toContain("cannot be read (no such file)");
    expect(p).toMatch(/expected .* e\.g\. DispatchPrivateKey: "file:\/\/\/etc\/arvados\/dispatch-cloud\.key"/);

    const relative = writeConfig("file-key-relative.yml", template.replaceAll("@KEYDIR@", "keys"));
    expect(problems(relative)[0]).toMatch(/"file:\/\/keys\/ed25519", a file:\/\/ URL without an absolute path;.*three slashes/);

    const notAKey = writeConfig("file-key-not-a-key.yml", template.replace("@KEYDIR@/ed25519", join(FIXTURES, "README.md")));
    expect(problems(notAKey)[0]).toContain(`names "${join(FIXTURES, "README.md")}", which holds no "-----BEGIN`);

    const encrypted = writeConfig("file-key-encrypted.yml", template.replace("@KEYDIR@/ed25519", join(keys, "rsa-pkcs1-encrypted.key")));
    const pe = problems(encrypted);
    expect(pe[0]).toMatch(/which is an encrypted PEM key/);
    expectNoKeyMaterial(pe, keyText("rsa-pkcs1-encrypted.key"));
  });

  it("leaves out what the file does not set", () => {
    expect(facts(join(FIXTURES, "missing-fields.yml"), "zzzzz")).toEqual({
      configPath: join(FIXTURES, "missing-fields.yml"),
      clusterId: "zzzzz",
      instanceTypes: [],
    });
    const empty = writeConfig("empty-cluster.yml", "Clusters:\n  zzzzz:\n");
    expect(facts(empty)).toEqual({ configPath: empty, clusterId: "zzzzz", instanceTypes: [] });
    const blank = writeConfig("blank-key.yml", 'Clusters:\n  zzzzz:\n    Containers:\n      DispatchPrivateKey: ""\n      RuntimeEngine: ""\n');
    expect(facts(blank)).toEqual({ configPath: blank, clusterId: "zzzzz", instanceTypes: [] });
  });

  describe("cluster selection", () => {
    const several = join(FIXTURES, "several-clusters.yml");
    it("takes the cluster --arvados-cluster-id names", () => {
      expect(facts(several, "xxxxx")).toMatchObject({ clusterId: "xxxxx", runtimeEngine: "docker", driver: "ec2" });
      expect(facts(several, "yyyyy")).toMatchObject({ clusterId: "yyyyy", runtimeEngine: "singularity", driver: "azure" });
    });
    it("takes the only cluster when no id is given", () => {
      expect(facts(join(FIXTURES, "inline-ed25519.yml"))).toMatchObject({ clusterId: "zzzzz" });
    });
    it("asks for --arvados-cluster-id when there are several", () => {
      expect(problems(several)).toEqual([
        `--arvados-config "${several}" defines 2 clusters ("xxxxx", "yyyyy") and --arvados-cluster-id is not given; expected --arvados-cluster-id naming the cluster the image is for, e.g. --arvados-cluster-id xxxxx.`,
      ]);
    });
    it("lists the clusters there are when the named one is missing", () => {
      expect(problems(several, "zzzzz")).toEqual([
        `--arvados-cluster-id "zzzzz": --arvados-config "${several}" has no cluster "zzzzz" under "Clusters:" (it has "xxxxx", "yyyyy"); expected one of the cluster ids in the file, e.g. --arvados-cluster-id xxxxx.`,
      ]);
    });
  });

  it("refuses an unknown RuntimeEngine and a DispatchPrivateKey without file://, both at once", () => {
    const path = join(FIXTURES, "bad-engine.yml");
    expect(problems(path, "zzzzz")).toEqual([
      `--arvados-config "${path}": Clusters.zzzzz.Containers.RuntimeEngine is "podman"; expected "docker" or "singularity", e.g. RuntimeEngine: singularity.`,
      expect.stringMatching(
        /^--arvados-config ".*": Clusters\.zzzzz\.Containers\.DispatchPrivateKey is "\/etc\/arvados\/dispatch-cloud\.key", a file name without "file:\/\/"; expected .* \(write it as "file:\/\/\/etc\/arvados\/dispatch-cloud\.key"\)\.$/,
      ),
    ]);
  });

  it("says what is wrong with the file itself", () => {
    const missing = join(tmp, "no-such-config.yml");
    expect(problems(missing)).toEqual([
      `--arvados-config "${missing}": cannot be read (no such file); expected the Arvados cluster configuration file (YAML with a top-level "Clusters:" map of cluster ids), e.g. --arvados-config /etc/arvados/config.yml.`,
    ]);
    expect(problems(tmp)[0]).toContain("cannot be read (is a directory, not a regular file)");
    expect(problems(writeConfig("bad.yml", "Clusters:\n  zzzzz: [1,\n"))[0]).toMatch(/is not valid YAML \(line \d+, column \d+: .+\); expected/);
    expect(problems(writeConfig("no-clusters.yml", "Cluster:\n  zzzzz: {}\n"))[0]).toContain('has no top-level "Clusters:" map');
    expect(problems(writeConfig("empty.yml", ""))[0]).toContain('has no top-level "Clusters:" map');
    expect(problems(writeConfig("clusters-list.yml", "Clusters: [zzzzz]\n"))[0]).toContain('has "Clusters:" as a list, not a map of cluster ids');
  });

  it("checks the types of the settings it reads", () => {
    const p = writeConfig(
      "types.yml",
      [
        "Clusters:",
        "  zzzzz:",
        "    Containers:",
        "      DispatchPrivateKey: 12345",
        "      CloudVMs:",
        "        Driver: [ec2]",
        "        DriverParameters:",
        "          AdminUsername: 1000",
        "    InstanceTypes:",
        "      a: {CUDA: {DeviceCount: lots}}",
        "      b: 3",
        "",
      ].join("\n"),
    );
    expect(problems(p)).toEqual([
      expect.stringContaining("Clusters.zzzzz.Containers.DispatchPrivateKey is a number; expected an unencrypted OpenSSH or PEM private key"),
      expect.stringContaining('Clusters.zzzzz.Containers.CloudVMs.Driver is a list (["ec2"]); expected a string, e.g. Driver: ec2.'),
      expect.stringContaining("Clusters.zzzzz.Containers.CloudVMs.DriverParameters.AdminUsername is a number (1000); expected a string, e.g. AdminUsername: crunch."),
      expect.stringContaining('Clusters.zzzzz.InstanceTypes.a.CUDA.DeviceCount is "lots"; expected a whole number'),
      expect.stringContaining("Clusters.zzzzz.InstanceTypes.b is a number; expected a map of settings"),
    ]);
  });

  it("reads YAML the way arvados-server does: merge keys, the list form of InstanceTypes, the last of repeated keys", () => {
    const p = writeConfig(
      "yaml11.yml",
      [
        "x-gpu: &gpu {CUDA: {DeviceCount: 1, DriverVersion: '11.0'}}",
        "Clusters:",
        "  zzzzz:",
        "    Containers:",
        "      RuntimeEngine: docker",
        "      RuntimeEngine: singularity",
        "    InstanceTypes:",
        "      - Name: gpu1",
        "        <<: *gpu",
        "        ProviderType: p3.2xlarge",
        "      - Name: cpu1",
        "",
      ].join("\n"),
    );
    expect(facts(p)).toMatchObject({
      runtimeEngine: "singularity",
      instanceTypes: [
        { name: "gpu1", providerType: "p3.2xlarge", gpu: true, gpuStack: "cuda" },
        { name: "cpu1", gpu: false },
      ],
    });
  });

  it("never puts the key into a problem", () => {
    const ed = keyText("ed25519");
    const rsa = keyText("rsa-pkcs1.key");
    const enc = keyText("rsa-pkcs1-encrypted.key");
    const cases: [string, string][] = [
      // Folded: YAML turns line breaks into spaces.
      [writeConfig("folded.yml", `Clusters:\n  zzzzz:\n    Containers:\n      DispatchPrivateKey: >\n${indent(ed, 8)}\n`), ed],
      // Damaged inline keys.
      [configWithInlineKey("damaged-rsa.yml", rsa.replace(/^MII/m, "AAA")), rsa],
      [configWithInlineKey("encrypted.yml", enc), enc],
      [configWithInlineKey("truncated.yml", ed.split("\n").slice(0, 3).join("\n") + "\n-----END OPENSSH PRIVATE KEY-----\n"), ed],
      // A YAML error in the middle of the key block.
      [writeConfig("yaml-error.yml", `Clusters:\n  zzzzz:\n    Containers:\n      DispatchPrivateKey: |\n${indent(ed, 8).replace(/\n( {8})(b3Bl)/, "\n   $2")}\n  bad: [\n`), ed],
      [writeConfig("yaml-error2.yml", `Clusters:\n  zzzzz:\n    Containers:\n      DispatchPrivateKey: "${ed.replaceAll("\n", "\\n")}\n`), ed],
    ];
    for (const [path, key] of cases) {
      const p = problems(path);
      expect(p.length, path).toBeGreaterThan(0);
      expect(p.join("\n")).toContain(`--arvados-config "${path}"`);
      expectNoKeyMaterial(p, key);
    }
  });
});

describe("crossCheck", () => {
  let base: ArvadosClusterFacts;
  let rsaAzure: ArvadosClusterFacts;
  let fileKey: ArvadosClusterFacts;
  let bare: ArvadosClusterFacts;
  let pub: string;
  beforeAll(() => {
    base = facts(join(FIXTURES, "inline-ed25519.yml"));
    rsaAzure = facts(join(FIXTURES, "inline-rsa-pem.yml"));
    const template = readFileSync(join(FIXTURES, "file-key.yml"), "utf8");
    fileKey = facts(writeConfig("cross-file-key.yml", template.replaceAll("@KEYDIR@", keys)));
    bare = facts(join(FIXTURES, "missing-fields.yml"));
    pub = sshKeygenY("ed25519");
  });
  const opts = (o: Partial<CrossCheckOptions> = {}): CrossCheckOptions => ({
    publicKeyLines: [`${pub} dispatcher@zzzzz`],
    runtimeEngine: "docker",
    loginUser: "crunch",
    nvidia: true,
    awsEbsAutoscale: false,
    cloud: "aws",
    ...o,
  });
  const only = (r: { errors: string[]; warnings: string[] }, kind: "errors" | "warnings") => {
    expect(r[kind === "errors" ? "warnings" : "errors"]).toEqual([]);
    expect(r[kind]).toHaveLength(1);
    return r[kind][0]!;
  };

  it("finds nothing wrong when the flags fit the config", () => {
    expect(crossCheck(base, opts())).toEqual({ errors: [], warnings: [] });
    expect(crossCheck(base, opts({ publicKeyLines: undefined }))).toEqual({ errors: [], warnings: [] });
    expect(crossCheck(fileKey, opts({ nvidia: false, awsEbsAutoscale: true }))).toEqual({ errors: [], warnings: [] });
    expect(crossCheck(bare, opts({ nvidia: false, cloud: undefined, runtimeEngine: "both" }))).toEqual({ errors: [], warnings: [] });
  });

  it("finds the dispatcher's key in --public-key-file by type and data, whatever the comment or options", () => {
    const other = sshKeygenY("rsa-openssh");
    for (const lines of [[pub], ["# the dispatcher", "", `${other} someone`, `${pub}`], [`restrict,from="10.0.0.0/8" ${pub} with a comment`]]) {
      expect(crossCheck(base, opts({ publicKeyLines: lines })).errors).toEqual([]);
    }
  });

  it("is an error when --public-key-file does not hold the dispatcher's key, naming both fingerprints", () => {
    const other = sshKeygenY("rsa-openssh");
    const e = only(crossCheck(base, opts({ publicKeyLines: [`${other} someone@example`] })), "errors");
    expect(e).toContain("--public-key-file does not hold arvados-dispatch-cloud's key");
    expect(e).toContain(`Clusters.zzzzz.Containers.DispatchPrivateKey in --arvados-config "${base.configPath}" (inline)`);
    expect(e).toContain(`has public key ${sshKeygenL(pub)} (ssh-ed25519)`);
    expect(e).toContain(`the file holds ${sshKeygenL(other)} (ssh-rsa)`);
    expect(e).toContain(`Add this line to the file: ${pub}`);
    // Same type, other key: the blob decides.
    const sameType = `ssh-ed25519 ${Buffer.alloc(51, 1).toString("base64")}`;
    expect(crossCheck(base, opts({ publicKeyLines: [sameType] })).errors).toHaveLength(1);
    expect(only(crossCheck(fileKey, opts({ nvidia: false, publicKeyLines: ["# nothing"] })), "errors")).toContain(`(file "${join(keys, "ed25519")}")`);
    expect(only(crossCheck(fileKey, opts({ nvidia: false, publicKeyLines: [] })), "errors")).toContain("the file holds no key;");
  });

  it("warns about a passphrase-protected DispatchPrivateKey", () => {
    const f = facts(configWithInlineKey("cross-passphrase.yml", keyText("ed25519-passphrase")));
    const w = only(crossCheck(f, opts({ publicKeyLines: undefined, nvidia: false })), "warnings");
    expect(w).toMatch(/DispatchPrivateKey .* is protected by a passphrase/);
  });

  it("warns about --aws-ebs-autoscale without IAMInstanceProfile", () => {
    const w = crossCheck(base, opts({ awsEbsAutoscale: true })).warnings;
    expect(w).toHaveLength(2);
    expect(w[0]).toMatch(
      /^--aws-ebs-autoscale: Clusters\.zzzzz\.Containers\.CloudVMs\.DriverParameters\.IAMInstanceProfile is not set in --arvados-config ".*"; .*instance profile.*ec2:CreateVolume, AttachVolume/,
    );
  });

  it("warns about --aws-ebs-autoscale with AddedScratch, naming the instance types", () => {
    const w = crossCheck(base, opts({ awsEbsAutoscale: true })).warnings[1]!;
    expect(w).toContain("instance types m5.large in");
    expect(w).not.toContain("g4dn.xlarge"); // AddedScratch: 0
    expect(w).toContain("remove AddedScratch and set IncludedScratch (e.g. IncludedScratch: 5TB)");
  });

  it("warns about --nvidia-gpu-support without GPU instance types", () => {
    const w = only(crossCheck(bare, opts({ publicKeyLines: undefined, cloud: undefined })), "warnings");
    expect(w).toMatch(/^--nvidia-gpu-support, but no instance type in --arvados-config ".*" \(cluster zzzzz\) has an NVIDIA GPU/);
    const rocm: ArvadosClusterFacts = { ...bare, instanceTypes: [{ name: "mi300", gpu: true, gpuStack: "rocm" }] };
    expect(only(crossCheck(rocm, opts({ publicKeyLines: undefined, cloud: undefined })), "warnings")).toContain("(mi300 uses GPU.Stack rocm, which NVIDIA drivers do not serve)");
  });

  it("warns about GPU instance types without --nvidia-gpu-support, naming them", () => {
    const w = only(crossCheck(base, opts({ nvidia: false })), "warnings");
    expect(w).toMatch(/^Instance types g4dn\.xlarge in .* have NVIDIA GPUs .* Add --nvidia-gpu-support\.$/);
    expect(w).not.toContain("c5.large"); // DeviceCount: 0
  });

  it("warns about a boot probe that needs the engine the image will not have", () => {
    // yyyyy probes with "docker ps -q" and runs Singularity.
    const single = opts({ publicKeyLines: undefined, runtimeEngine: "singularity", loginUser: "arvados", cloud: "azure" });
    const w = only(crossCheck(rsaAzure, single), "warnings");
    expect(w).toMatch(/^Clusters\.yyyyy\.Containers\.CloudVMs\.BootProbeCommand in .* \("docker ps -q"\) uses docker, which --runtime-engine singularity does not install/);
    expect(crossCheck(rsaAzure, { ...single, runtimeEngine: "both" })).toEqual({ errors: [], warnings: [] });
    const probe: ArvadosClusterFacts = { ...bare, runtimeEngine: "docker", bootProbeCommand: "singularity --version" };
    expect(only(crossCheck(probe, opts({ nvidia: false, cloud: undefined })), "warnings")).toContain("uses singularity, which --runtime-engine docker does not install");
  });

  it("warns when --runtime-engine does not install the cluster's RuntimeEngine", () => {
    // base runs Docker and also probes with docker: one warning about each.
    const w = crossCheck(base, opts({ runtimeEngine: "singularity" }));
    expect(w.errors).toEqual([]);
    expect(w.warnings).toEqual([
      expect.stringMatching(
        /^--runtime-engine singularity does not install docker, but Clusters\.zzzzz\.Containers\.RuntimeEngine is docker in .*Use --runtime-engine docker \(or both\)\.$/,
      ),
      expect.stringContaining("BootProbeCommand"),
    ]);
    const noEngine = only(crossCheck(bare, opts({ runtimeEngine: "singularity", nvidia: false, publicKeyLines: undefined })), "warnings");
    expect(noEngine).toMatch(/^--runtime-engine singularity does not install docker, but Clusters\.zzzzz\.Containers\.RuntimeEngine is not set \(Arvados' default is docker\)/);
  });

  it("warns when --login-user is not AdminUsername", () => {
    const w = only(crossCheck(base, opts({ loginUser: "admin" })), "warnings");
    expect(w).toMatch(/^--login-user admin differs from Clusters\.zzzzz\.Containers\.CloudVMs\.DriverParameters\.AdminUsername \(crunch\) in .*Use --login-user crunch/);
    expect(crossCheck(bare, opts({ loginUser: "admin", nvidia: false }))).toEqual({ errors: [], warnings: [] }); // AdminUsername unknown
  });

  it("warns when the cloud driver is for another cloud", () => {
    expect(only(crossCheck(base, opts({ cloud: "azure" })), "warnings")).toMatch(/^--cloud azure does not match Clusters\.zzzzz\.Containers\.CloudVMs\.Driver \(ec2\)/);
    const azure = opts({ publicKeyLines: undefined, runtimeEngine: "both", loginUser: "arvados", cloud: "aws" });
    expect(only(crossCheck(rsaAzure, azure), "warnings")).toMatch(/^--cloud aws does not match .*Driver \(azure\).* starts nodes on Azure/);
    expect(crossCheck(rsaAzure, { ...azure, cloud: "azure" }).warnings).toEqual([]);
  });
});
