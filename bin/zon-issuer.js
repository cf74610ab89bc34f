#!/usr/bin/env -S node --max-old-space-size=384
// The issuer service's command (`zon-issuer`): the TypeScript entry point, loaded through ts-node.
require("ts-node").register({
  transpileOnly: true,
  project: require("node:path").join(__dirname, "..", "tsconfig.json"),
});
require("../scripts/issuer.ts");
