/**
 * What a command needs beyond the image flags, checked with them so every problem is reported
 * at once: render writes --out, provision logs in to --ssh-host with --ssh-private-key-file.
 */
import { flagByKey, type CommandName } from "./flags.js";
import { checkOutDir, readFlagFile } from "./files.js";
import { badValue } from "./messages.js";
import { looksLikePrivateKey } from "./ssh-key.js";

/** Problems, before the flags' own formats are checked (raw: what commander parsed). */
export async function commandProblems(command: CommandName, raw: Readonly<Record<string, unknown>>): Promise<string[]> {
  const problems: string[] = [];
  if (command === "render") {
    const out = raw.out;
    if (out === undefined) problems.push(`--out is required for render: the build directory to create, e.g. --out ./build-zzzzz.`);
    else {
      const p = await checkOutDir(typeof out === "string" ? out : "");
      if (p) problems.push(p);
    }
  }
  if (command === "provision") {
    if (raw.sshHost === undefined) problems.push(`--ssh-host is required for provision: the machine to provision, e.g. --ssh-host 10.0.0.12.`);
    const keyFile = raw.sshPrivateKeyFile;
    if (keyFile === undefined)
      problems.push(`--ssh-private-key-file is required for provision: the private key Packer logs in with as --ssh-user, e.g. --ssh-private-key-file ~/.ssh/id_ed25519.`);
    else {
      const path = typeof keyFile === "string" ? keyFile : "";
      const f = flagByKey("sshPrivateKeyFile");
      const text = readFlagFile(f, path, problems);
      if (text !== undefined && !looksLikePrivateKey(text)) problems.push(badValue(f, path, "it does not hold a private key (a public key goes in the machine's authorized_keys)"));
    }
  }
  return problems;
}
