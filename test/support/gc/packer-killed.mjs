// @ts-check
/**
 * The worst case for `gc`: real Packer 1.6.6 builds against the loopback EC2 server until it
 * waits for SSH, then Packer's whole process group is SIGKILLed (no cleanup at all), then
 * arv-image's sweepAws (dist/clouds/aws-gc.js, the real @aws-sdk/client-ec2) runs against
 * what was left. Meant to run inside `unshare --net` (see netns.ts): the server, Packer and
 * the sweep share the namespace's `lo`, which this script brings up when
 * ARV_IMAGE_TEST_NETNS=1.
 *
 *   node test/support/gc/packer-killed.mjs SPEC.json
 *
 * SPEC: { dir, seed, accessKey, secretKey, buildId, expires, sourceAmi, sweeps: [{ now?, olderThanMs, dryRun }] }
 * Prints one JSON object: { netns, packer: {output, signal, leftProcesses}, packerRequests,
 * left (state after the kill), requestsAfterKill, sweeps: [{ result, requests }], final (state),
 * requests }.
 */
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const spec = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8"));
const netns = process.env.ARV_IMAGE_TEST_NETNS === "1";
if (netns) execFileSync("ip", ["link", "set", "lo", "up"]);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const { startEc2Server } = await import("../ec2/server.mjs");
const { sweepAws } = await import(`${REPO}dist/clouds/aws-gc.js`);

/** A port nothing listens on (so Packer keeps waiting for SSH). */
async function unusedPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = /** @type {net.AddressInfo} */ (s.address()).port;
      s.close(() => resolve(port));
    });
  });
}

/** Live (not zombie) processes of a process group, as "pid state comm", from /proc. @param {number} pgid */
function groupMembers(pgid) {
  /** @type {string[]} */
  const out = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
    const close = stat.lastIndexOf(")");
    const [state, , pgrp] = stat.slice(close + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") out.push(`${pid} ${state} ${stat.slice(stat.indexOf("(") + 1, close)}`);
  }
  return out;
}

const ec2 = await startEc2Server({ state: spec.seed, credentials: { accessKeyId: spec.accessKey, secretAccessKey: spec.secretKey }, log: join(spec.dir, "requests.jsonl") });
const out = /** @type {Record<string, unknown>} */ ({ netns });
/** @type {number | undefined} Packer's process group, while it may still run */
let running;
try {
  const tags = `{\n    arv-image-build-id = "${spec.buildId}"\n    arv-image-expires  = "${spec.expires}"\n  }`;
  writeFileSync(
    join(spec.dir, "gc.pkr.hcl"),
    `variable "endpoint" {
  type = string
}
variable "ssh_port" {
  type = number
}
source "amazon-ebs" "gc" {
  region              = "us-east-1"
  custom_endpoint_ec2 = var.endpoint
  source_ami          = "${spec.sourceAmi}"
  instance_type       = "t3.small"
  ami_name            = "arv-image-gc-test-{{timestamp}}"
  communicator        = "ssh"
  ssh_username        = "admin"
  ssh_host            = "127.0.0.1"
  ssh_port            = var.ssh_port
  ssh_timeout         = "5m"
  run_tags            = ${tags}
  run_volume_tags     = ${tags}
  tags                = ${tags}
  snapshot_tags       = ${tags}
}
build {
  sources = ["source.amazon-ebs.gc"]
}
`,
  );
  const port = await unusedPort();
  const packer = spawn("packer", ["build", "-color=false", "-var", `endpoint=${ec2.url}`, "-var", `ssh_port=${port}`, "gc.pkr.hcl"], {
    cwd: spec.dir,
    detached: true, // its own process group: the kill takes Packer and its plugin processes at once
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: spec.dir,
      CHECKPOINT_DISABLE: "1",
      PACKER_CACHE_DIR: join(spec.dir, "packer_cache"),
      AWS_ACCESS_KEY_ID: spec.accessKey,
      AWS_SECRET_ACCESS_KEY: spec.secretKey,
      AWS_EC2_METADATA_DISABLED: "true",
    },
  });
  running = packer.pid;
  let output = "";
  packer.stdout.setEncoding("utf8").on("data", (d) => (output += d));
  packer.stderr.setEncoding("utf8").on("data", (d) => (output += d));
  /** @type {Promise<NodeJS.Signals | null>} */
  const exited = new Promise((resolve) => packer.on("close", (_code, signal) => resolve(signal)));
  let gone = false;
  void exited.then(() => (gone = true));

  // Wait until the instance is running and Packer is waiting for SSH.
  const started = Date.now();
  const launched = () => ec2.requests.some((r) => r.action === "RunInstances" && r.status === 200);
  while (!(launched() && /Waiting for SSH to become available/.test(output))) {
    if (gone) throw new Error(`packer exited before waiting for SSH:\n${output}`);
    if (Date.now() - started > 90_000) throw new Error(`packer did not reach "Waiting for SSH" within 90 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // Let it try (and fail) to connect at least once, then the worst case.
  await new Promise((r) => setTimeout(r, 1500));
  const pgid = /** @type {number} */ (packer.pid);
  process.kill(-pgid, "SIGKILL");
  const signal = await exited;
  running = undefined;
  // Every process of the group is dead (a zombie not yet reaped by init counts as dead).
  /** @type {string[]} */
  let leftProcesses = [];
  for (let i = 0; i < 50; i++) {
    leftProcesses = groupMembers(pgid);
    if (!leftProcesses.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const killedAt = ec2.requests.length;
  out.packer = { output, signal, leftProcesses };
  out.left = structuredClone(ec2.state);
  out.packerRequests = ec2.requests.slice(0, killedAt);
  out.requestsAfterKill = ec2.requests.slice(killedAt);

  const ctx = {
    config: { options: { awsRegion: "us-east-1" }, secretsFiles: [] },
    secrets: { AWS_ACCESS_KEY_ID: spec.accessKey, AWS_SECRET_ACCESS_KEY: spec.secretKey },
    env: { AWS_ENDPOINT_URL_EC2: ec2.url },
    timeoutMs: 5000,
    skipped: new Set(),
  };
  out.sweeps = [];
  for (const s of spec.sweeps) {
    const from = ec2.requests.length;
    const result = await sweepAws(ctx, { olderThanMs: s.olderThanMs, dryRun: s.dryRun, pollMs: 100, waitMs: 10_000, ...(s.now ? { now: new Date(s.now) } : {}) });
    /** @type {unknown[]} */ (out.sweeps).push({ result, requests: ec2.requests.slice(from) });
  }
  out.final = structuredClone(ec2.state);
  out.requests = ec2.requests;
} catch (e) {
  out.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
} finally {
  if (running !== undefined) {
    try {
      process.kill(-running, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await ec2.close();
}
process.stdout.write(JSON.stringify(out));
