// Placeholder entry; replaced by the real action runner.
import * as core from "@actions/core";
core.info("sig-publish");
