// @ts-check
/**
 * A throwaway certificate authority and one server certificate for loopback TLS tests.
 *
 * Uses the `openssl` CLI with ECDSA P-256 keys (about 30 ms in total). The server certificate
 * carries SANs IP:127.0.0.1, IP:::1, DNS:localhost and any extra DNS names (e.g.
 * management.azure.com, login.microsoftonline.com for /etc/hosts-redirect tests in a netns).
 *
 *   import { makeTestCa } from "./ca.mjs";
 *   const { caCert, cert, key } = await makeTestCa(dir, { dnsNames: ["management.azure.com"] });
 *
 * CLI: node test/support/azure/ca.mjs DIR [extra.dns.name ...]  → prints the paths as JSON.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { pathToFileURL } from "node:url";

const run = promisify(execFile);

/**
 * @typedef {{ caCert: string, caKey: string, cert: string, key: string, chain: string }} TestCaPaths
 *   caCert: the CA certificate (give this to clients: NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, tlsOptions.ca);
 *   cert/key: the server certificate and its key; chain: cert followed by caCert.
 */

/**
 * @param {string} dir directory to write into (created if missing)
 * @param {{ dnsNames?: string[], ipAddresses?: string[], days?: number, commonName?: string }} [options]
 * @returns {Promise<TestCaPaths>}
 */
export async function makeTestCa(dir, options = {}) {
  const days = String(options.days ?? 2);
  const dnsNames = ["localhost", ...(options.dnsNames ?? [])];
  const ips = ["127.0.0.1", "::1", ...(options.ipAddresses ?? [])];
  for (const n of [...dnsNames, ...ips]) {
    if (!/^[A-Za-z0-9.*:-]+$/.test(n)) throw new Error(`makeTestCa: bad SAN ${JSON.stringify(n)}`);
  }
  await mkdir(dir, { recursive: true });
  const p = {
    caKey: join(dir, "ca.key"),
    caCert: join(dir, "ca.crt"),
    key: join(dir, "server.key"),
    csr: join(dir, "server.csr"),
    cert: join(dir, "server.crt"),
    chain: join(dir, "server-chain.crt"),
    ext: join(dir, "server.ext"),
  };
  const san = [...dnsNames.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(",");
  const ossl = (/** @type {string[]} */ args) => run("openssl", args, { timeout: 30_000 });

  // CA: self-signed, key usage for signing certificates only.
  await Promise.all([ossl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", p.caKey]), ossl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", p.key])]);
  await ossl([
    "req",
    "-x509",
    "-new",
    "-key",
    p.caKey,
    "-sha256",
    "-days",
    days,
    "-out",
    p.caCert,
    "-subj",
    `/CN=arv-image throwaway test CA ${process.pid}-${Date.now()}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE,pathlen:0",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-addext",
    "subjectKeyIdentifier=hash",
  ]);
  await ossl(["req", "-new", "-key", p.key, "-out", p.csr, "-subj", `/CN=${options.commonName ?? "localhost"}`]);
  await writeFile(
    p.ext,
    ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth", `subjectAltName=${san}`, "authorityKeyIdentifier=keyid", ""].join(
      "\n",
    ),
  );
  await ossl(["x509", "-req", "-in", p.csr, "-CA", p.caCert, "-CAkey", p.caKey, "-CAcreateserial", "-days", days, "-sha256", "-extfile", p.ext, "-out", p.cert]);
  await writeFile(p.chain, (await readFile(p.cert, "utf8")) + (await readFile(p.caCert, "utf8")));
  return { caCert: p.caCert, caKey: p.caKey, cert: p.cert, key: p.key, chain: p.chain };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [dir, ...dnsNames] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write("usage: node ca.mjs DIR [dns.name ...]\n");
    process.exit(2);
  }
  makeTestCa(dir, { dnsNames }).then(
    (paths) => process.stdout.write(JSON.stringify(paths) + "\n"),
    (e) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
