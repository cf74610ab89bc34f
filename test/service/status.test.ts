import { expect } from "chai";
import { SKIP_REASON_NAMES } from "../../src/service/relayer";
import { issuerMetrics } from "../../src/service/status";

describe("the issuer service's metrics before any event", function () {
  const series = async (loops: string[]) => {
    const metrics = issuerMetrics({ loops, skipReasons: SKIP_REASON_NAMES.filter((r) => r !== "none") });
    return (await metrics.registry.metrics())
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"));
  };

  it("shows each skip reason, file outcome and loop's error count at zero", async function () {
    const lines = await series(["relayer", "worker"]);
    expect(lines).to.include.members([
      'zon_claim_skips_total{reason="alreadyClaimed"} 0',
      'zon_claim_skips_total{reason="revoked"} 0',
      'zon_claim_skips_total{reason="expired"} 0',
      'zon_claim_skips_total{reason="overBudget"} 0',
      'zon_claim_skips_total{reason="cannotReceive"} 0',
      'zon_inbox_files_total{outcome="done"} 0',
      'zon_inbox_files_total{outcome="rejected"} 0',
      'zon_rpc_errors_total{loop="relayer"} 0',
      'zon_rpc_errors_total{loop="worker"} 0',
      'zon_round_errors_total{loop="worker"} 0',
      'zon_redemptions_total{outcome="confirmed"} 0',
    ]);
  });

  it("shows no redemption outcomes in a process that runs only the relayer", async function () {
    const lines = await series(["relayer"]);
    expect([
      lines.filter((line) => line.startsWith("zon_redemptions_total")),
      lines.filter((line) => line.includes('loop="worker"')),
    ]).to.deep.equal([[], []]);
  });
});
