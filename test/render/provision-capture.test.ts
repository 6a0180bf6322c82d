/**
 * `provision --capture-hygiene`: a machine provisioned to be imaged by its owner gets the
 * same last step as a cloud bake (host keys, machine id and cloud-init state removed, the
 * host-key unit installed); without the flag, a provisioned machine keeps its identity.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderBuildDir } from "../../dist/render/build-dir.js";
import { EXAMPLE_KEY } from "../support/cli.js";
import { resolved } from "../support/resolve.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "arv-image-capture-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "key")]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const args = () => [
  "--arvados-cluster-id",
  "zzzzz",
  "--public-key-file",
  EXAMPLE_KEY,
  "--ssh-host",
  "10.0.0.12",
  "--ssh-user",
  "admin",
  "--ssh-private-key-file",
  join(dir, "key"),
  "--packer-version",
  "1.6.6",
];

async function files(extra: string[]): Promise<Map<string, string>> {
  const c = await resolved("provision", [...args(), ...extra]);
  return new Map(renderBuildDir(c, "none").files.map((f: { path: string; content: string | Buffer }) => [f.path, String(f.content)]));
}

describe("provision --capture-hygiene", () => {
  it("removes the machine's identity and installs the host-key unit, as a bake does", async () => {
    const f = await files(["--capture-hygiene"]);
    expect(f.get("scripts/99-hygiene.sh")).toContain("rm -f /etc/ssh/ssh_host_*");
    expect(f.get("scripts/99-hygiene.sh")).toContain("Resetting the machine ID");
    expect([...f.keys()]).toContain("files/arvados-ssh-host-keys.service");
  });

  it("without it, the provisioned machine keeps its host keys and machine id", async () => {
    const f = await files([]);
    expect(f.get("scripts/99-hygiene.sh")).not.toContain("rm -f /etc/ssh/ssh_host_*");
    expect(f.get("scripts/99-hygiene.sh")).not.toContain("Resetting the machine ID");
    expect([...f.keys()]).not.toContain("files/arvados-ssh-host-keys.service");
  });
});
