/**
 * --resolver takes IPv4 and IPv6 addresses and both work everywhere it is used: Docker's
 * daemon.json "dns" (any address) and dhclient.conf, where domain-name-servers takes IPv4 only
 * (one IPv6 address there makes dhclient refuse its whole configuration), so an IPv6 resolver
 * goes to dhcp6.name-servers. The rendered script's own function runs here with bash.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderBuildDir } from "../../dist/render/build-dir.js";
import { EXAMPLE_KEY, run } from "../support/cli.js";
import { problemsOf, resolved } from "../support/resolve.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "arv-image-resolver-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rendered(resolver: string) {
  const c = await resolved("render", [
    "--cloud",
    "aws",
    "--arvados-cluster-id",
    "zzzzz",
    "--public-key-file",
    EXAMPLE_KEY,
    "--packer-version",
    "1.6.6",
    "--out",
    join(dir, "never"),
    "--resolver",
    resolver,
  ]);
  const files = renderBuildDir(c, "aws").files as { path: string; content: string }[];
  return (path: string) => files.find((f) => f.path === path)?.content ?? "";
}

/** Runs the rendered put_dhclient_resolver on `conf` and returns the file after it. */
async function putResolver(script: string, resolver: string, conf: string): Promise<string> {
  const work = mkdtempSync(join(dir, "w-"));
  writeFileSync(join(work, "script.sh"), script);
  mkdirSync(join(work, "etc"));
  writeFileSync(join(work, "etc", "dhclient.conf"), conf);
  const r = await run("bash", [
    "-c",
    // The script's own function and its own choice of option (the family test it renders).
    'set -euo pipefail; eval "$(sed -n "/^put_dhclient_resolver()/,/^}/p" "$1/script.sh")"; replace_content() { mv "$1" "$2"; }; WORK_DIR=$1; RESOLVER=$2; eval "$(grep -m1 "^if \\[\\[ \\$RESOLVER == \\*:\\* \\]\\]" "$1/script.sh")"; if [[ $resolver_family == 6 ]]; then opt=dhcp6.name-servers; else opt=domain-name-servers; fi; put_dhclient_resolver "$1/etc/dhclient.conf" "$opt"',
    "_",
    work,
    resolver,
  ]);
  expect(r.code, r.stderr).toBe(0);
  // The script calls it with exactly these options for the two families.
  expect(script).toContain('put_dhclient_resolver "$DHCLIENT_CONF" dhcp6.name-servers');
  expect(script).toContain('put_dhclient_resolver "$DHCLIENT_CONF" domain-name-servers');
  return readFileSync(join(work, "etc", "dhclient.conf"), "utf8");
}

const DEBIAN_CONF = "#prepend domain-name-servers 127.0.0.1;\nrequest subnet-mask, broadcast-address, domain-name-servers,\n\tdhcp6.name-servers, dhcp6.domain-search;\n";

describe("--resolver", () => {
  it("IPv4: dhclient's domain-name-servers, and Docker's dns", async () => {
    const file = await rendered("10.0.0.2");
    expect(await putResolver(file("scripts/70-network.sh"), "10.0.0.2", DEBIAN_CONF)).toBe(
      DEBIAN_CONF.replace("#prepend domain-name-servers 127.0.0.1;", "prepend domain-name-servers 10.0.0.2;"),
    );
    expect(JSON.parse(file("files/daemon.json")).dns).toEqual(["10.0.0.2"]);
  });

  it("IPv6: dhclient's dhcp6.name-servers (never domain-name-servers), and Docker's dns", async () => {
    const file = await rendered("2001:db8::53");
    const after = await putResolver(file("scripts/70-network.sh"), "2001:db8::53", DEBIAN_CONF);
    expect(after).toBe(DEBIAN_CONF + "prepend dhcp6.name-servers 2001:db8::53;\n");
    expect(after).not.toMatch(/^prepend domain-name-servers .*:/m);
    // Run again: still one line.
    expect(await putResolver(file("scripts/70-network.sh"), "2001:db8::53", after)).toBe(after);
    expect(JSON.parse(file("files/daemon.json")).dns).toEqual(["2001:db8::53"]);
  });

  it("an IPv6 zone (fe80::1%eth0) is refused: neither Docker nor dhclient takes one", async () => {
    const [p] = await problemsOf("render", [
      "--cloud",
      "aws",
      "--arvados-cluster-id",
      "zzzzz",
      "--public-key-file",
      EXAMPLE_KEY,
      "--out",
      join(dir, "never"),
      "--resolver",
      "fe80::1%eth0",
    ]);
    expect(p).toMatch(/^--resolver "fe80::1%eth0": expected an IPv4 or IPv6 address/);
  });
});
