// @ts-check
/**
 * Runs one CLI scenario next to loopback cloud servers, meant to be started inside a fresh
 * network namespace (`unshare --net`, see netns.ts) so nothing it does can reach a real
 * cloud or a metadata service: the namespace has only `lo`, which this script brings up.
 *
 *   node test/support/netns-run.mjs SPEC.json
 *
 * SPEC: { argv: [...], env: {...}, cwd?, ec2?: {state, credentials?, faults?},
 *         azure?: {state, faults?, tlsDir} }
 * In env values, ${EC2_URL} and ${AZURE_URL} are replaced by the servers' addresses.
 * Prints one JSON object: { code, signal, stdout, stderr, ec2: {requests}, azure: {requests} }.
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const spec = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8"));

if (process.env.ARV_IMAGE_TEST_NETNS === "1") execFileSync("ip", ["link", "set", "lo", "up"]);

/** @type {Record<string, string>} */
const urls = {};
/** @type {{ close(): Promise<void>; requests: unknown[] }[]} */
const servers = [];
/** @type {Record<string, unknown[]>} */
const requests = {};
/** @type {unknown} */
let ec2State;

if (spec.ec2) {
  const { startEc2Server } = await import("./ec2/server.mjs");
  const s = await startEc2Server({ state: spec.ec2.state, credentials: spec.ec2.credentials, faults: spec.ec2.faults });
  urls.EC2_URL = s.url;
  servers.push(s);
  requests.ec2 = s.requests;
  ec2State = s.state;
}
if (spec.azure) {
  const { startAzureServer } = await import("./azure/server.mjs");
  const tls = { cert: readFileSync(`${spec.azure.tlsDir}/server.crt`, "utf8"), key: readFileSync(`${spec.azure.tlsDir}/server.key`, "utf8") };
  const s = await startAzureServer({ state: spec.azure.state, tls, faults: spec.azure.faults });
  urls.AZURE_URL = s.url;
  servers.push(s);
  requests.azure = s.requests;
}

/** @type {Record<string, string>} */
const env = {};
for (const [k, v] of Object.entries(spec.env ?? {})) env[k] = String(v).replace(/\$\{(EC2_URL|AZURE_URL)\}/g, (_, n) => urls[n] ?? "");

const child = spawn(process.execPath, [`${REPO}dist/bin.js`, ...spec.argv], { cwd: spec.cwd ?? REPO, env, stdio: ["ignore", "pipe", "pipe"] });
let stdout = "";
let stderr = "";
child.stdout.on("data", (c) => (stdout += c));
child.stderr.on("data", (c) => (stderr += c));
const [code, signal] = await new Promise((resolve) => child.on("close", (c, s) => resolve([c, s])));
await Promise.all(servers.map((s) => s.close()));
process.stdout.write(JSON.stringify({ code, signal, stdout, stderr, urls, ec2: { requests: requests.ec2 ?? [], state: ec2State }, azure: { requests: requests.azure ?? [] } }));
