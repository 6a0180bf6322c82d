/**
 * What a flag's value may look like, in zod: the building blocks the flag table's rows
 * use as their `type`. Commander only parses syntax (every value arrives as a string, a
 * list of strings, or a boolean); these turn it into typed values.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { CONTROL, quote } from "./messages.js";

const hex8or17 = "([0-9a-f]{8}|[0-9a-f]{17})";
export const AMI_ID = new RegExp(`^ami-${hex8or17}$`);
export const VPC_ID = new RegExp(`^vpc-${hex8or17}$`);
export const SUBNET_ID = new RegExp(`^subnet-${hex8or17}$`);
export const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
export const UNIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
export const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * Text that every file format arv-image writes can carry: no NUL, no lone surrogates,
 * and in Unicode NFC (HCL2 normalizes strings to NFC, so other text would not survive).
 */
// Control characters (newline, ESC, DEL, C1…) are refused too: they would reach a rendered
// file or the terminal raw (a newline in a value is a new line in authorized_keys or a script).
export const text = z
  .string()
  .min(1)
  .refine((s) => !CONTROL.test(s) && s.isWellFormed() && s.normalize("NFC") === s);
export const textList = z.array(text);
/**
 * Text that reaches a Packer setting Packer evaluates as a Go template: Packer 1.6.6 (and the
 * plugins after it) runs builder and communicator settings such as profile, account_file and
 * ssh_private_key_file through text/template, so "{{timestamp}}" in a profile name would
 * silently become a number. No escape works in every setting (some are templated later, some
 * never), so "{{" is refused.
 */
export const PACKER_TEMPLATE = "{{";
export const packerText = text.refine((s) => !s.includes(PACKER_TEMPLATE));
export const match = (re: RegExp) => z.string().regex(re);
/** `true`/`false` exactly: z.coerce.boolean() would take "false" for true. */
export const bool = z.stringbool({ truthy: ["true"], falsy: ["false"], case: "sensitive" });
export const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
export const name64 = match(/^[A-Za-z0-9._-]{1,64}$/);
export const unixUser = match(UNIX_USER);
/** An IP address without an IPv6 zone ("fe80::1%eth0"): neither Docker's "dns" nor dhclient takes one. */
export const isIpAddress = (s: string) => isIP(s) !== 0 && !s.includes("%");
export const ipAddress = z.string().refine(isIpAddress);
/** A directory on the builder VM. */
// Packer uploads with scp, which passes the destination to a remote shell unquoted:
// keep the remote path to characters no shell treats specially.
export const remotePath = match(/^\/[A-Za-z0-9._+@=:,/-]*$/).refine((p) => !p.split("/").includes(".."));
/** "r1,r2": AWS regions separated by commas. */
export const awsRegionList = z
  .string()
  .transform((v) => v.split(",").map((r) => r.trim()))
  .pipe(z.array(match(AWS_REGION)).min(1));
export const azureResourceGroupName = z
  .string()
  .regex(/^[\p{L}\p{N}_().-]{1,90}$/u)
  .refine((s) => !s.endsWith(".") && s.normalize("NFC") === s);
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const SIZE_UNIT = { K: 1 / 1024, M: 1, G: 1024 } as const;
/**
 * Singularity's "mksquashfs mem", passed to mksquashfs -mem: squashfs-tools refuses very
 * small values and anything near or above the node's memory, so the container fails on the
 * compute node, not in the build. 64M–64G covers every sensible setting.
 */
export const memSize = z
  .string()
  .regex(/^[1-9][0-9]{0,9}[KMG]$/)
  .refine((v) => {
    const mib = Number(v.slice(0, -1)) * SIZE_UNIT[v.slice(-1) as keyof typeof SIZE_UNIT];
    return mib >= 64 && mib <= 64 * 1024;
  });
/** "90m", "2h", "1d" → milliseconds. */
export const duration = z
  .string()
  .regex(/^[0-9]{1,6}(m|h|d)$/)
  .transform((v) => Number(v.slice(0, -1)) * UNIT_MS[v.slice(-1) as keyof typeof UNIT_MS]);

/** A host entry "IP NAME…" split into parts, or a reason it is not one. */
export function parseHostsEntry(line: string): { ip: string; names: string[] } | { error: string } {
  const parts = line.trim().split(/[ \t]+/);
  const [ip, ...names] = parts;
  if (!ip || !isIpAddress(ip)) return { error: `${quote(ip ?? "")} is not an IPv4 or IPv6 address (without a %zone)` };
  if (names.length === 0) return { error: "no host name after the address" };
  const bad = names.find((n) => !HOSTNAME.test(n));
  if (bad !== undefined) return { error: `${quote(bad)} is not a valid host name` };
  return { ip, names };
}
