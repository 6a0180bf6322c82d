/**
 * Secrets never leave arv-image in any form Packer (or JSON) may print them, from wherever
 * they came (a secrets file, the caller's environment, a credentials file Packer reads), and
 * values that are not secret are never redacted. The CLI runs drive the STAND-IN packer
 * (test/support/stand-in-packer), which prints the variables it was given the way Packer and
 * its plugins may: escaped in -machine-readable lines, raw on stderr. The property test holds
 * the scrubber and the stream (dist/) to it for random secrets.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_KEY, REPO, runCli } from "../support/cli.js";
import { listFiles } from "../support/tools.js";
import { makeScrubber } from "../../dist/packer/environment.js";
import { BuildView } from "../../dist/packer/build-view.js";
import { PackerStream } from "../../dist/packer/stream.js";
import { packerEscape, SENSITIVITY } from "../../dist/secrets.js";

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "arv-image-scrub-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every form a secret must never appear in. */
function forms(secret: string): string[] {
  const escaped = packerEscape(secret);
  const json = (v: string) => JSON.stringify(v).slice(1, -1);
  return [...new Set([secret, escaped, json(secret), json(escaped)])];
}

function expectAbsent(secret: string, where: string, text: string): void {
  for (const f of forms(secret)) expect(text.includes(f), `${where} holds ${JSON.stringify(f)}`).toBe(false);
}

function standIn(scenario: Record<string, string>): string {
  const dir = mkdtempSync(join(tmp, "stand-in-"));
  copyFileSync(join(REPO, "test/support/stand-in-packer/packer"), join(dir, "packer"));
  writeFileSync(
    join(dir, "scenario"),
    Object.entries(scenario)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}\n`)
      .join(""),
  );
  return dir;
}

const T = "1700000000";
const AWS_OK = [
  `${T},amazon-ebs.compute,artifact,0,builder-id,mitchellh.amazonebs`,
  `${T},amazon-ebs.compute,artifact,0,id,us-east-1:ami-0123456789abcdef0`,
  `${T},amazon-ebs.compute,artifact,0,end`,
];

describe("the scrubber (arv-image build, stand-in packer)", () => {
  // Commas, newlines, regex metacharacters, quotes, backslashes: each is a form Packer or
  // JSON rewrites, or a pattern a careless scrubber would misread.
  const SESSION = 'FQoG,session+token/with.*[regex](chars)$^|?\n"second line"\\end';
  const AZURE = "azure,client'secret\r\nwith CRLF";
  const CALLER_KEY = "caller-secret-access-key,42";
  const GOOGLE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7,GOOGLE\n-----END PRIVATE KEY-----\n";

  it("catches credentials from the caller's environment and a credentials file, in every form, in the log, the live view and --json's error", async () => {
    const google = join(tmp, "google.json");
    writeFileSync(
      google,
      JSON.stringify({ type: "service_account", private_key_id: "0123456789abcdef0123", private_key: GOOGLE_KEY, client_email: "x@y.iam.gserviceaccount.com" }),
    );
    const dir = standIn({ EXIT: "1", ECHO_ENV: "AWS_SESSION_TOKEN AWS_SECRET_ACCESS_KEY ARM_CLIENT_SECRET @GOOGLE_APPLICATION_CREDENTIALS" });
    const out = join(mkdtempSync(join(tmp, "out-")), "b");
    // --verbose: Packer's own debug log, which Packer writes past the scrubber, is checked too.
    const r = await runCli(
      ["build", "--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--skip-preflight", "--json", "--verbose", "--out", out],
      {
        env: {
          ...process.env,
          PATH: `${dir}:${process.env.PATH ?? ""}`,
          AWS_ACCESS_KEY_ID: "AKIACALLEREXAMPLE",
          AWS_SECRET_ACCESS_KEY: CALLER_KEY,
          AWS_SESSION_TOKEN: SESSION,
          ARM_CLIENT_SECRET: AZURE,
          GOOGLE_APPLICATION_CREDENTIALS: google,
          AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:9",
        },
      },
    );
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as { error: string; log: string };
    // The stand-in did print them (the error field is its last error line, redacted).
    expect(doc.error).toContain("failed with");
    expect(doc.error).toContain("<redacted>");
    const log = readFileSync(doc.log, "utf8");
    expect(log).toContain("AWS_SESSION_TOKEN is <redacted>");
    const debugLog = listFiles(out).find((f) => f.startsWith("packer-debug-"));
    expect(debugLog).toBeDefined();
    expect(readFileSync(join(out, debugLog as string), "utf8")).toContain("[DEBUG] plugin: AWS_SESSION_TOKEN=<redacted>");
    for (const secret of [SESSION, AZURE, CALLER_KEY, GOOGLE_KEY, "0123456789abcdef0123"]) {
      expectAbsent(secret, "stdout (--json)", r.stdout);
      expectAbsent(secret, "stderr (live view)", r.stderr);
      expectAbsent(secret, "log", log);
      for (const f of listFiles(out)) expectAbsent(secret, f, readFileSync(join(out, f), "utf8"));
    }
    // Each line of a secret of several lines is gone too (a plugin's log prints them apart).
    for (const line of ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7,GOOGLE", '"second line"\\end']) {
      expect(r.stderr + log).not.toContain(line);
    }
  });

  it("does not redact what is not secret: a region from the secrets file, Azure ids in the image's resource id", async () => {
    const secrets = join(tmp, "region-secrets.sh");
    // A switch of the site's own (a name the table does not know): "true" must not become
    // <redacted> in the --json document's own true.
    writeFileSync(
      secrets,
      "export AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY=CANARY-scrub-secret\nexport AWS_DEFAULT_REGION=us-east-1\nexport SITE_USE_FIPS=true\n",
    );
    const replay = join(tmp, "aws-ok.log");
    writeFileSync(replay, AWS_OK.join("\n") + "\n");
    const dir = standIn({ REPLAY: replay });
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}`, AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:9" };
    const r = await runCli(
      [
        "build",
        "--cloud",
        "aws",
        "--arvados-cluster-id",
        "zzzzz",
        "--public-key-file",
        EXAMPLE_KEY,
        "--aws-secrets-file",
        secrets,
        "--skip-preflight",
        "--json",
        "--out",
        join(mkdtempSync(join(tmp, "o-")), "b"),
      ],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain("<redacted>");
    const doc = JSON.parse(r.stdout) as { ok: boolean; images: { region: string; id: string }[] };
    expect(doc.ok).toBe(true);
    expect(doc.images[0]).toMatchObject({ region: "us-east-1", id: "ami-0123456789abcdef0" });
    // The untagging (to a closed port here) names the region it used.
    expect(r.stderr).toContain("aws ec2 delete-tags --region us-east-1 --resources ami-0123456789abcdef0");
    expect(r.stderr).not.toContain("CANARY-scrub-secret");

    const azureSecrets = join(tmp, "azure-secrets.sh");
    const sub = "00000000-0000-0000-0000-000000000002";
    writeFileSync(
      azureSecrets,
      `export ARM_CLIENT_ID=00000000-0000-0000-0000-000000000001\nexport ARM_CLIENT_SECRET=CANARY-azure-scrub\nexport ARM_SUBSCRIPTION_ID=${sub}\nexport ARM_TENANT_ID=00000000-0000-0000-0000-000000000003\n`,
    );
    const azReplay = join(tmp, "azure-ok.log");
    const imageId = `/subscriptions/${sub}/resourceGroups/arvados-images/providers/Microsoft.Compute/images/zzzzz-compute-v1795000000`;
    writeFileSync(
      azReplay,
      [
        `${T},azure-arm.compute,artifact,0,builder-id,Azure.ResourceManagement.VMImage`,
        `${T},azure-arm.compute,artifact,0,id,${imageId}`,
        `${T},azure-arm.compute,artifact,0,end`,
      ].join("\n") + "\n",
    );
    const az = standIn({ REPLAY: azReplay });
    const a = await runCli(
      [
        "build",
        "--cloud",
        "azure",
        "--arvados-cluster-id",
        "zzzzz",
        "--public-key-file",
        EXAMPLE_KEY,
        "--azure-secrets-file",
        azureSecrets,
        "--azure-resource-group",
        "arvados-images",
        "--azure-sku",
        "12-gen2",
        "--skip-preflight",
        "--json",
        "--out",
        join(mkdtempSync(join(tmp, "o-")), "b"),
      ],
      {
        env: { ...process.env, PATH: `${az}:${process.env.PATH ?? ""}` },
      },
    );
    expect(a.code, a.stderr).toBe(0);
    expect((JSON.parse(a.stdout) as { images: { id: string }[] }).images[0]?.id).toBe(imageId);
  });

  it("the one table decides for config's display too", async () => {
    const secrets = join(tmp, "config-secrets.sh");
    writeFileSync(
      secrets,
      "export AWS_ACCESS_KEY_ID=AKIAEXAMPLE\nexport AWS_SECRET_ACCESS_KEY=CANARY-config-secret\nexport AWS_SESSION_TOKEN=CANARY-config-token\nexport AWS_REGION=eu-west-1\n",
    );
    const r = await runCli(["config", "--cloud", "aws", "--arvados-cluster-id", "zzzzz", "--public-key-file", EXAMPLE_KEY, "--aws-secrets-file", secrets, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const vars = (JSON.parse(r.stdout) as { secrets: { variables: Record<string, string> }[] }).secrets[0]?.variables ?? {};
    for (const [k, v] of Object.entries(vars)) expect(v === "<redacted>", k).toBe(SENSITIVITY[k] === "secret");
    expect(vars.AWS_REGION).toBe("eu-west-1");
    expect(r.stdout).not.toContain("CANARY-config");
  });
});

describe("the scrubber end to end (property, arv-image build with the stand-in packer)", () => {
  // Lines of at least four characters: a line-based printer shows each line apart, and a
  // part shorter than that is not scrubbed on its own (it would redact ordinary words).
  const line = fc
    .array(fc.constantFrom(..."abcXYZ019,,\\\"'%!()[]{}.*+?^$|/ -=:".split(""), "é"), { minLength: 4, maxLength: 16 })
    .map((cs) => cs.join(""))
    .filter((l) => l.trim().length >= 4);
  const secret = fc.array(line, { minLength: 1, maxLength: 3 }).map((ls) => ls.join("\n"));

  it("a random credential in the caller's environment never appears in the log, the live view or --json, in any form", { timeout: 300_000 }, async () => {
    const dir = standIn({ EXIT: "1", ECHO_ENV: "AWS_SESSION_TOKEN" });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(secret, async (token) => {
        const r = await runCli(
          [
            "build",
            "--cloud",
            "aws",
            "--arvados-cluster-id",
            "zzzzz",
            "--public-key-file",
            EXAMPLE_KEY,
            "--skip-preflight",
            "--json",
            "--out",
            join(mkdtempSync(join(tmp, "p-")), "b"),
          ],
          {
            env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}`, AWS_SESSION_TOKEN: token, AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:9" },
          },
        );
        const doc = JSON.parse(r.stdout) as { error: string; log: string };
        const log = readFileSync(doc.log, "utf8");
        runs++;
        return r.code === 1 && forms(token).every((f) => !r.stdout.includes(f) && !r.stderr.includes(f) && !log.includes(f)) && log.includes("AWS_SESSION_TOKEN is <redacted>");
      }),
      { numRuns: 10 },
    );
    expect(runs).toBe(10);
  });
});

describe("the scrubber and the stream (property)", () => {
  // Characters Packer or JSON rewrite, regex metacharacters, and ordinary ones.
  const char = fc.constantFrom(..."abcXYZ019,,\n\r\\\"'%!()[]{}.*+?^$|/ -=:".split(""), "é", "✓");
  const secret = fc
    .array(char, { minLength: 4, maxLength: 40 })
    .map((cs) => cs.join(""))
    .filter((s) => s.trim().length >= 4);

  it("a random secret never appears, in any escaping form, in the log, the live view or the errors (--json)", () => {
    let checked = 0;
    fc.assert(
      fc.property(secret, fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), fc.constantFrom("plain" as const, "tty" as const), (s, cuts, mode) => {
        const e = packerEscape(s);
        const stdout = Buffer.from(
          [
            `${T},,ui,say,==> amazon-ebs.compute: token ${e}`,
            `${T},,ui,message,    amazon-ebs.compute: ${e}${e}`,
            `${T},,ui,error,${e}`,
            `${T},amazon-ebs.compute,error,Build failed: ${e}`,
            `${T},amazon-ebs.compute,artifact,0,id,us-east-1:ami-0123456789abcdef0`,
            "",
          ].join("\n"),
        );
        const stderr = Buffer.from(`plugin: ${s}\nplugin again: ${s}\n`);
        const view = new BuildView({ mode });
        const stream = new PackerStream({ scrub: makeScrubber([s]), view });
        // Chunked at random, as pipes deliver it.
        let at = 0;
        for (const c of cuts) {
          stream.stdout(stdout.subarray(at, Math.min(at + c, stdout.length)));
          at = Math.min(at + c, stdout.length);
        }
        stream.stdout(stdout.subarray(at));
        stream.stderr(stderr);
        stream.end();
        view.finish();
        const logText = Buffer.concat(stream.takeLog()).toString("utf8");
        const viewText = view.take().text;
        const errors = JSON.stringify({ error: stream.errors.buildErrors().map((x: { message: string }) => x.message), all: stream.errors.errors() });
        for (const f of forms(s)) {
          if (logText.includes(f) || viewText.includes(f) || errors.includes(f)) return false;
        }
        checked++;
        return true;
      }),
      { numRuns: 300 },
    );
    expect(checked).toBe(300);
  });
});
