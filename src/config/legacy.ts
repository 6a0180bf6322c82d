/**
 * The `-var` list build.sh passed to a JSON template, in build.sh's order, so a site's
 * own JSON template keeps working through `arv-image build` (legacy pass-through).
 * Bracketed variables in build.sh were passed only when their flag was given; build.sh
 * always passed the AWS region and booleans (harmless to JSON templates, which accept
 * undeclared variables).
 */
import type { Options } from "./schema.js";

export function legacyVariables(o: Options & { sshUser: string; pinPackages: boolean }, given: ReadonlySet<string>, goVersion: string): [string, string][] {
  const vars: [string, string][] = [];
  const add = (name: string, value: string | undefined, when = true) => {
    if (when && value !== undefined && value !== "") vars.push([name, value]);
  };
  add("arvados_cluster", o.arvadosClusterId);
  add("aws_source_ami", o.awsSourceAmi);
  add("aws_profile", o.awsProfile);
  add("vpc_id", o.awsVpcId);
  add("subnet_id", o.awsSubnetId);
  add("aws_default_region", o.awsRegion);
  add("aws_ebs_autoscale", "1", o.awsEbsAutoscale);
  add("aws_associate_public_ip_address", String(o.awsAssociatePublicIp));
  add("aws_ena_support", String(o.awsEnaSupport));
  add("project_id", o.gcpProjectId);
  add("account_file", o.gcpAccountFile);
  add("zone", o.gcpZone, given.has("gcpZone"));
  add("resource_group", o.azureResourceGroup);
  add("location", o.azureLocation, given.has("azureLocation"));
  add("image_sku", o.azureSku, given.has("azureSku")); // --base-os fills it in for arv-image's own templates only
  add("cloud_environment_name", o.azureCloudEnvironment, given.has("azureCloudEnvironment"));
  add("ssh_user", o.sshUser, given.has("sshUser"));
  add("workdir", o.workdir, given.has("workdir"));
  add("resolver", o.resolver);
  add("reposuffix", o.reposuffix);
  add("pin_packages", String(o.pinPackages));
  add("public_key_file", o.publicKeyFile);
  add("mksquashfs_mem", o.mksquashfsMem);
  add("nvidia_gpu_support", "1", o.nvidiaGpuSupport);
  add("goversion", goVersion);
  return vars;
}
