#!/usr/bin/env node
// The CLI ships bundled in dist/cli (built by `npm run bundle`), like the action.
import "../dist/cli/index.js";
