/** The e2e boot tier (boot-tier.ts) for Debian 13: provisioned, captured, booted as a node, probed as the dispatcher probes. */
import { bootTier, RELEASES } from "./boot-tier.js";

bootTier(RELEASES.debian13);
