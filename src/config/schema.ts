/**
 * What each flag's value means: formats and defaults, in zod. Commander only parses
 * syntax (every value arrives as a string, a list of strings, or a boolean); this
 * schema turns it into typed values. Cross-flag rules live in rules.ts.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { CHECK_NAMES, type CheckName } from "./preflight-checks.js";

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
const text = z
  .string()
  .min(1)
  .refine((s) => !s.includes("\0") && s.isWellFormed() && s.normalize("NFC") === s);
const match = (re: RegExp) => z.string().regex(re);
const bool = z.stringbool({ truthy: ["true"], falsy: ["false"], case: "sensitive" });
const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const name64 = match(/^[A-Za-z0-9._-]{1,64}$/);

export const optionsSchema = z.object({
  cloud: z.enum(["aws", "azure", "gcp"]).optional(),
  jsonFile: text.optional(),
  arvadosClusterId: match(/^[a-z0-9]{5}$/).optional(),
  arvadosConfig: text.optional(),
  publicKeyFile: text.optional(),
  sshUser: match(UNIX_USER).optional(),
  loginUser: match(UNIX_USER).default("crunch"),
  // Packer uploads with scp, which passes the destination to a remote shell unquoted:
  // keep the remote path to characters no shell treats specially.
  workdir: match(/^\/[A-Za-z0-9._+@=:,/-]*$/)
    .refine((p) => !p.split("/").includes(".."))
    .default("/tmp"),
  resolver: z
    .string()
    .refine((s) => isIP(s) !== 0)
    .optional(),
  hostsEntry: z.array(text).default([]),
  mirror: z.array(text).default([]),
  hostsFile: text.optional(),
  reposuffix: match(/^(-[a-z0-9.~+-]+)?$/).default(""),
  pinPackages: z.boolean().optional(),
  runtimeEngine: z.enum(["docker", "singularity", "both"]).default("both"),
  mksquashfsMem: match(/^[1-9][0-9]*[KMG]$/).default("256M"),
  nvidiaGpuSupport: z.boolean().default(false),
  debug: z.boolean().default(false),

  awsProfile: text.optional(),
  awsSecretsFile: text.optional(),
  awsSourceAmi: match(AMI_ID).optional(),
  awsRegion: match(AWS_REGION).default("us-east-1"),
  awsVpcId: match(VPC_ID).optional(),
  awsSubnetId: match(SUBNET_ID).optional(),
  awsAssociatePublicIp: bool.default(true),
  awsEnaSupport: bool.default(true),
  awsInstanceType: match(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/).default("m5.large"),
  awsVolumeSize: intIn(8, 16384).default(20),
  awsAmiRegions: z
    .string()
    .transform((v) => v.split(",").map((r) => r.trim()))
    .pipe(z.array(match(AWS_REGION)).min(1))
    .optional(),
  awsRootDevice: match(/^\/dev\/(sd|xvd)[a-z][0-9]{0,2}$/).optional(),
  awsEbsAutoscale: z.boolean().default(false),
  ebsVolumeType: z.enum(["gp3", "gp2", "io1", "io2", "st1", "sc1"]).default("gp3"),
  ebsVolumeIops: intIn(100, 64000).optional(),
  ebsVolumeThroughput: intIn(125, 1000).optional(),
  ebsMaxVolumeSize: intIn(150, 16384).default(1500),
  ebsMaxLogicalSize: intIn(150, 1_000_000).default(8000),
  ebsMaxVolumeCount: intIn(1, 16).default(16),
  ebsDetectionInterval: intIn(1, 3600).default(2),

  azureSecretsFile: text.optional(),
  azureResourceGroup: z
    .string()
    .regex(/^[\p{L}\p{N}_().-]{1,90}$/u)
    .refine((s) => !s.endsWith(".") && s.normalize("NFC") === s)
    .optional(),
  azureLocation: match(/^[a-z][a-z0-9]{2,40}$/).default("centralus"),
  azureSku: name64.optional(),
  azureImagePublisher: name64.default("Debian"),
  azureImageOffer: name64.default("debian-12"),
  azureVmSize: match(/^[A-Za-z0-9_]{1,64}$/).default("Standard_D2s_v5"),
  azureCloudEnvironment: z.enum(["Public", "USGovernment", "China", "Germany"]).default("Public"),

  gcpProjectId: match(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/).optional(),
  gcpAccountFile: text.optional(),
  gcpZone: match(/^[a-z]+-[a-z]+[0-9]+-[a-z]$/).default("us-central1-f"),
  gcpSourceImageFamily: match(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/).default("debian-12"),
  gcpSourceImageProject: match(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/).default("debian-cloud"),
  gcpMachineType: match(/^[a-z0-9][a-z0-9-]{0,62}$/).default("e2-standard-2"),

  out: text.optional(),
  packerVersion: match(/^[0-9]+\.[0-9]+\.[0-9]+$/).optional(),
  json: z.boolean().default(false),
  packer: text.optional(),
  dryRun: z.boolean().default(false),
  logFormat: z.enum(["human", "json"]).default("human"),
  logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
  verbose: z.boolean().default(false),
  emitConfig: text.optional(),
  olderThan: z
    .string()
    .regex(/^[0-9]{1,6}(m|h|d)$/)
    .transform((v) => Number(v.slice(0, -1)) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[v.slice(-1) as "m" | "h" | "d"])
    .default(2 * 3_600_000),
  sshHost: match(/^([A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[?[0-9A-Fa-f:.]+\]?)$/).optional(),
  sshPort: intIn(1, 65535).default(22),
  sshPrivateKeyFile: text.optional(),
  skipPreflight: z.boolean().default(false),
  skipCheck: z.array(z.enum(CHECK_NAMES as [CheckName, ...CheckName[]])).default([]),
  preflightTimeout: intIn(1, 300).default(20),
});

export type Options = z.infer<typeof optionsSchema>;
export type OptionKey = keyof Options;

/** A host entry "IP NAME…" split into parts, or a reason it is not one. */
export function parseHostsEntry(line: string): { ip: string; names: string[] } | { error: string } {
  const parts = line.trim().split(/[ \t]+/);
  const [ip, ...names] = parts;
  if (!ip || isIP(ip) === 0) return { error: `"${ip ?? ""}" is not an IPv4 or IPv6 address` };
  if (names.length === 0) return { error: "no host name after the address" };
  const bad = names.find((n) => !HOSTNAME.test(n));
  if (bad !== undefined) return { error: `"${bad}" is not a valid host name` };
  return { ip, names };
}
