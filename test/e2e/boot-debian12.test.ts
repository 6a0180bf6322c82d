/**
 * The e2e boot tier (boot-tier.ts) for Debian 12: provisioned, captured, booted as a node, probed
 * as the dispatcher probes; then tiers 1 and 2 (image-tiers.ts) on a copy of the captured image.
 */
import { bootTier, RELEASES } from "./boot-tier.js";
import { imageTiers, startFromImage } from "./image-tiers.js";

imageTiers(bootTier(RELEASES.debian12, { onImage: startFromImage }));
