/**
 * AWS preflight, through the real EC2 API (@aws-sdk/client-ec2): credentials, the source
 * AMI (chosen when not given) and its login user, the VPC, subnet and instance type. The
 * client and its credentials are the cloud layer's (src/clouds/aws.ts).
 */
import type { CheckName } from "../config/preflight-checks.js";
import { AWS_CREDENTIALS_HOW, credentialsAdvice, describeAwsError, ec2Client, loadEc2 } from "../clouds/aws.js";
import { withTimeout } from "../clouds/timeout.js";
import type { CheckContext, CheckOutput, Finding, Inferred } from "./types.js";
import { CANONICAL_OWNER, DEBIAN_OWNER, baseOsOfAmiName } from "../releases/base-os.js";

type Image = import("@aws-sdk/client-ec2").Image;

export async function awsChecks(ctx: CheckContext): Promise<CheckOutput> {
  const sdk = await loadEc2();
  const o = ctx.config.options;
  const base = ctx.config.baseOs;
  const baseGiven = ctx.config.sources.baseOs === "flag";
  // Where the rendered template puts (and sizes) the root volume unless told otherwise.
  const ROOT_DEVICE = base.aws.rootDevice;
  const region = o.awsRegion;
  const ms = ctx.timeoutMs;
  const client = ec2Client(sdk, ctx, region);
  // One shape for every call: a time limit, and the output typed by the caller.
  const send = <T>(what: string, command: object) => withTimeout(what, ms, (abortSignal) => client.send(command as never, { abortSignal }) as Promise<T>);
  const where = `EC2 in ${region}${endpointNote(ctx.env)}`;
  const findings: Finding[] = [];
  const inferred: Inferred = {};
  const on = (name: CheckName) => !ctx.skipped.has(name);
  const add = (severity: Finding["severity"], check: CheckName, message: string) => findings.push({ severity, check, message });

  try {
    // Credentials: one cheap call that every key can make; it also proves the region exists.
    if (on("aws.credentials")) {
      try {
        const r = await send<{ AvailabilityZones?: { ZoneName?: string }[] }>("DescribeAvailabilityZones", new sdk.DescribeAvailabilityZonesCommand({}));
        add("info", "aws.credentials", `credentials ${credentialSource(ctx)} accepted by ${where}: ${(r.AvailabilityZones ?? []).length} availability zones`);
      } catch (e) {
        add("error", "aws.credentials", credentialProblem(e, ctx, where));
        return { findings, inferred };
      }
    }

    const ami = on("aws.source-ami") || on("aws.ssh-user") ? guard("aws.source-ami", sourceAmi) : Promise.resolve(undefined);
    const network = guard("aws.instance-type", networkChecks);
    const [image] = await Promise.all([ami, network]);
    if (image && on("aws.ssh-user")) sshUser(image);
    return { findings, inferred };
  } finally {
    client.destroy();
  }

  /** Runs a check; a call that fails in a way the check does not model becomes its error finding. */
  async function guard<T>(check: CheckName, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      add("error", e instanceof CheckFailed ? e.check : check, describeAwsError(e instanceof CheckFailed ? e.cause : e, where, ms));
      return undefined;
    }
  }

  async function sourceAmi(): Promise<Image | undefined> {
    let image: Image | undefined;
    if (o.awsSourceAmi !== undefined) {
      try {
        const r = await send<{ Images?: Image[] }>("DescribeImages", new sdk.DescribeImagesCommand({ ImageIds: [o.awsSourceAmi] }));
        image = r.Images?.[0];
      } catch (e) {
        if (!isCode(e, "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable")) throw annotate(e, "aws.source-ami");
      }
      if (!image) {
        add(
          "error",
          "aws.source-ami",
          `--aws-source-ami ${o.awsSourceAmi}: no such image in ${region} (or it is not shared with this account). AMI ids are per region: use the id the image has in ${region}, copy it there (aws ec2 copy-image), or drop --aws-source-ami to use the newest official ${base.title} AMI.`,
        );
        return undefined;
      }
    } else {
      const r = await send<{ Images?: Image[] }>(
        "DescribeImages",
        new sdk.DescribeImagesCommand({
          Owners: [base.aws.owner],
          Filters: [
            { Name: "name", Values: [base.aws.namePattern] },
            { Name: "architecture", Values: ["x86_64"] },
            { Name: "root-device-type", Values: ["ebs"] },
            { Name: "virtualization-type", Values: ["hvm"] },
            { Name: "state", Values: ["available"] },
          ],
        }),
      ).catch((e: unknown) => {
        throw annotate(e, "aws.source-ami");
      });
      const images = (r.Images ?? []).filter((i) => i.ImageId && i.CreationDate);
      images.sort((a, b) => Date.parse(b.CreationDate ?? "") - Date.parse(a.CreationDate ?? "") || (b.Name ?? "").localeCompare(a.Name ?? ""));
      image = images[0];
      if (!image) {
        add(
          "error",
          "aws.source-ami",
          `no official ${base.title} amd64 AMI (owner ${base.aws.owner}, name ${base.aws.namePattern}) is visible in ${region}. Give the base image with --aws-source-ami ami-….`,
        );
        return undefined;
      }
      inferred.awsSourceAmi = { id: image.ImageId as string, name: image.Name ?? "" };
      if (on("aws.source-ami")) {
        add(
          "info",
          "aws.source-ami",
          `chose ${image.ImageId} "${image.Name}" (created ${image.CreationDate}): the newest of ${images.length} official ${base.title} amd64 AMIs in ${region} (owner ${base.aws.owner}, ${base.id === "debian" ? "Debian's" : "Canonical's"} account), because --aws-source-ami was not given (--base-os ${base.name}${baseGiven ? "" : ", the default"}). The build uses this image; pass --aws-source-ami ${image.ImageId} to pin it.`,
        );
      }
    }
    // The build resizes the AMI's own root device (Ubuntu's is /dev/sda1, Debian's /dev/xvda).
    if (o.awsRootDevice === undefined && image.RootDeviceName && image.RootDeviceName !== ROOT_DEVICE) inferred.awsRootDevice = image.RootDeviceName;
    if (on("aws.source-ami")) {
      checkImage(image);
      if (o.awsSourceAmi !== undefined) checkBaseOs(image);
    }
    return image;
  }

  function checkImage(image: Image): void {
    const id = `${image.ImageId}${image.Name ? ` ("${image.Name}")` : ""}`;
    let ok = true;
    const bad = (m: string) => {
      ok = false;
      add("error", "aws.source-ami", m);
    };
    if (image.State !== "available") bad(`${id} is ${image.State ?? "in an unknown state"}, not available: wait until it is, or choose another --aws-source-ami.`);
    if (image.Architecture !== "x86_64")
      bad(
        `${id} is ${image.Architecture ?? "of unknown architecture"}; arv-image builds x86_64 compute images (amd64 packages, x86_64 instance types): choose an x86_64 --aws-source-ami.`,
      );
    if (image.RootDeviceType !== "ebs")
      bad(`${id} is ${image.RootDeviceType ?? "not"} EBS-backed; Packer's amazon-ebs builder needs an EBS-backed AMI: choose another --aws-source-ami.`);
    else {
      const root = image.BlockDeviceMappings?.find((m) => m.DeviceName === image.RootDeviceName);
      if (o.awsRootDevice !== undefined && image.RootDeviceName !== o.awsRootDevice) {
        bad(
          `${id} has its root volume on ${image.RootDeviceName ?? "an unknown device"}, not on --aws-root-device ${o.awsRootDevice}: the image would keep a ${root?.Ebs?.VolumeSize ?? "?"} GB root and carry an extra empty ${o.awsVolumeSize} GB volume. Give --aws-root-device ${image.RootDeviceName ?? "DEVICE"}, or leave it out (preflight then uses the AMI's).`,
        );
      }
      const size = root?.Ebs?.VolumeSize;
      if (size !== undefined && size > o.awsVolumeSize)
        bad(`${id} has a ${size} GB root snapshot, larger than --aws-volume-size ${o.awsVolumeSize}: give --aws-volume-size ${size} or more.`);
    }
    if (ok && o.awsSourceAmi !== undefined)
      add("info", "aws.source-ami", `${id} in ${region}: available, x86_64, EBS-backed, root volume ${image.RootDeviceName} (resized to ${o.awsVolumeSize} GB)`);
    else if (ok && image.RootDeviceName !== "/dev/xvda")
      add("info", "aws.source-ami", `its root volume is ${image.RootDeviceName}; the build resizes that one to ${o.awsVolumeSize} GB`);
  }

  /** A given AMI whose name says it is another release than --base-os: the scripts follow the image, but say so. */
  function checkBaseOs(image: Image): void {
    const of = baseOsOfAmiName(image.Name ?? "");
    if (of === undefined || of.name === base.name) return;
    add(
      "warning",
      "aws.source-ami",
      `--aws-source-ami ${image.ImageId} is named "${image.Name}", an official ${of.title} AMI, but --base-os is ${base.name}${baseGiven ? "" : " (the default)"}: the scripts install for what the image runs, ${of.title}; give --base-os ${of.name} so that the login user, root device${ctx.config.options.amdRocmSupport ? ", ROCm support" : ""} and the plan match.`,
    );
  }

  function sshUser(image: Image): void {
    const o2 = ctx.config;
    if (o2.sources.sshUser !== "inferred" && o2.sources.sshUser !== "default") {
      add("info", "aws.ssh-user", `Packer logs in as ${o.sshUser} (--ssh-user)`);
      return;
    }
    const text = `${image.Name ?? ""} ${image.Description ?? ""}`.toLowerCase();
    const user = image.OwnerId === DEBIAN_OWNER || /\bdebian\b/.test(text) ? "admin" : image.OwnerId === CANONICAL_OWNER || /\bubuntu\b/.test(text) ? "ubuntu" : undefined;
    if (user === undefined) {
      add(
        "warning",
        "aws.ssh-user",
        `cannot tell the login user of ${image.ImageId} ("${image.Name ?? ""}") from its name or owner; Packer will log in as ${o.sshUser}. If that is wrong the build fails at "Waiting for SSH": give --ssh-user.`,
      );
      return;
    }
    if (user !== o.sshUser) inferred.sshUser = user;
    add("info", "aws.ssh-user", `Packer logs in as ${user}: ${image.ImageId} is ${user === "admin" ? "a Debian" : "an Ubuntu"} image (give --ssh-user to override)`);
  }

  async function networkChecks(): Promise<void> {
    let zone: string | undefined;
    const vpc = o.awsVpcId;
    const subnetId = o.awsSubnetId;
    await Promise.all([
      guard("aws.vpc", async () => {
        if (vpc === undefined || !on("aws.vpc")) return;
        try {
          const r = await send<{ Vpcs?: { VpcId?: string; State?: string; CidrBlock?: string }[] }>("DescribeVpcs", new sdk.DescribeVpcsCommand({ VpcIds: [vpc] }));
          const v = r.Vpcs?.[0];
          if (!v) throw Object.assign(new Error("not found"), { name: "InvalidVpcID.NotFound" });
          add("info", "aws.vpc", `${vpc} exists in ${region} (${v.CidrBlock ?? "?"}, ${v.State ?? "?"})`);
        } catch (e) {
          if (!isCode(e, "InvalidVpcID.NotFound")) throw annotate(e, "aws.vpc");
          add("error", "aws.vpc", `--aws-vpc-id ${vpc}: no such VPC in ${region}. List them with: aws ec2 describe-vpcs --region ${region}`);
        }
      }),
      guard("aws.subnet", async () => {
        if (subnetId === undefined || !(on("aws.subnet") || on("aws.instance-type"))) return;
        type Subnet = { SubnetId?: string; VpcId?: string; AvailabilityZone?: string; AvailableIpAddressCount?: number; State?: string };
        let sn: Subnet | undefined;
        try {
          const r = await send<{ Subnets?: Subnet[] }>("DescribeSubnets", new sdk.DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
          sn = r.Subnets?.[0];
        } catch (e) {
          if (!isCode(e, "InvalidSubnetID.NotFound")) throw annotate(e, "aws.subnet");
        }
        if (!sn) {
          if (on("aws.subnet"))
            add(
              "error",
              "aws.subnet",
              `--aws-subnet-id ${subnetId}: no such subnet in ${region}. List them with: aws ec2 describe-subnets --region ${region}${vpc ? ` --filters Name=vpc-id,Values=${vpc}` : ""}`,
            );
          return;
        }
        zone = sn.AvailabilityZone;
        if (!on("aws.subnet")) return;
        if (vpc !== undefined && sn.VpcId !== vpc) {
          add("error", "aws.subnet", `--aws-subnet-id ${subnetId} belongs to ${sn.VpcId}, not to --aws-vpc-id ${vpc}: give a subnet of ${vpc}, or the VPC ${sn.VpcId}.`);
        } else if (sn.AvailableIpAddressCount === 0) {
          add("error", "aws.subnet", `--aws-subnet-id ${subnetId} has no free IP address left; the builder instance cannot start there: choose another subnet.`);
        } else {
          add("info", "aws.subnet", `${subnetId} is in ${sn.VpcId} (${zone}), ${sn.AvailableIpAddressCount ?? "?"} free addresses`);
        }
      }),
    ]);
    if (!on("aws.instance-type")) return;
    const type = o.awsInstanceType;
    const byZone = zone !== undefined;
    try {
      const r = await send<{ InstanceTypeOfferings?: { InstanceType?: string }[] }>(
        "DescribeInstanceTypeOfferings",
        new sdk.DescribeInstanceTypeOfferingsCommand({
          LocationType: byZone ? "availability-zone" : "region",
          Filters: [
            { Name: "location", Values: [byZone ? (zone as string) : region] },
            { Name: "instance-type", Values: [type] },
          ],
        }),
      );
      if ((r.InstanceTypeOfferings ?? []).some((x) => x.InstanceType === type))
        add("info", "aws.instance-type", `${type} is offered in ${byZone ? `${zone} (the subnet's zone)` : region}`);
      else
        add(
          "error",
          "aws.instance-type",
          byZone
            ? `--aws-instance-type ${type} is not offered in ${zone}, the zone of --aws-subnet-id ${subnetId}: choose another instance type, or a subnet in a zone that offers ${type}.`
            : `--aws-instance-type ${type} is not offered in ${region}: choose another instance type (aws ec2 describe-instance-type-offerings --region ${region}).`,
        );
    } catch (e) {
      throw annotate(e, "aws.instance-type");
    }
  }
}

/** An error from a check's call, tagged with the check it belongs to. */
export class CheckFailed extends Error {
  constructor(
    readonly check: CheckName,
    override readonly cause: unknown,
  ) {
    super(String(cause));
  }
}

function annotate(e: unknown, check: CheckName): CheckFailed {
  return e instanceof CheckFailed ? e : new CheckFailed(check, e);
}

function isCode(e: unknown, ...codes: string[]): boolean {
  const name = (e as { name?: string; Code?: string } | undefined)?.name;
  return name !== undefined && codes.includes(name);
}

function endpointNote(env: NodeJS.ProcessEnv): string {
  const ep = env.AWS_ENDPOINT_URL_EC2 ?? env.AWS_ENDPOINT_URL;
  return ep ? ` at ${ep}` : "";
}

function credentialSource(ctx: CheckContext): string {
  const s = ctx.secrets;
  if (s.AWS_ACCESS_KEY_ID && s.AWS_SECRET_ACCESS_KEY) return `from ${ctx.config.secretsFiles.find((f) => f.env.AWS_ACCESS_KEY_ID)?.flag ?? "the secrets file"}`;
  if (ctx.config.options.awsProfile !== undefined) return `of profile ${JSON.stringify(ctx.config.options.awsProfile)}`;
  return "from the environment";
}

function credentialProblem(e: unknown, ctx: CheckContext, where: string): string {
  const name = (e as { name?: string }).name ?? "";
  const msg = (e as { message?: string }).message ?? String(e);
  const source = credentialSource(ctx);
  if (name === "CredentialsProviderError" || /Could not load credentials|profile .* could not be found/i.test(msg)) {
    return `no usable AWS credentials ${source === "from the environment" ? "were found" : source}: ${msg}. ${AWS_CREDENTIALS_HOW}`;
  }
  if (["AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "ExpiredToken", "RequestExpired", "InvalidToken"].includes(name)) {
    return `the AWS credentials ${source} were refused by ${where} (${name}: ${msg}). ${credentialsAdvice(e) ?? ""}`.trimEnd();
  }
  return describeAwsError(e, where, ctx.timeoutMs);
}
