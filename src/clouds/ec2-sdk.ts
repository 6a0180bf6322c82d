/**
 * The part of @aws-sdk/client-ec2 that arv-image uses, by name. `npm run build` bundles
 * the SDK from its ES modules and keeps only what is named here (and what it needs), so
 * loading it costs milliseconds and a few MB rather than the whole EC2 API's schemas
 * (see scripts/bundle.mjs). A command used elsewhere must be added here: `Ec2` is this
 * module's type, so TypeScript says so.
 */
export {
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DeleteVolumeCommand,
  DeregisterImageCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
