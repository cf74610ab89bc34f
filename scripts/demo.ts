import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  formatUnits,
  id as keccakOfText,
  keccak256,
  parseUnits,
  toBeHex,
  zeroPadValue,
  ZeroAddress,
  type EventLog,
  type Signer,
} from "ethers";
import hre, { ethers, network } from "hardhat";
import { deploySuite } from "../deploy/deploy";
import { ratesFromNames } from "../deploy/parameters";
import {
  buildEpoch,
  bundleSignatures,
  createAgreement,
  describeError,
  FileLedgerAdapter,
  FulfilmentWorker,
  workerIdOf,
  queryInChunks,
  readAgreement,
  recoverAttestationSigner,
  recoverRevocationSigner,
  redeemWithPermit,
  requestFromEvent,
  rewardDomain,
  signAttestation,
  signRevocation,
  type EpochProofLine,
  type Revocation,
  type UsageAttestation,
} from "../src";

/*
 * The main job: deploys the whole suite through the Ignition modules and plays a full story on it,
 * printing what happens, then checks the invariants of DESIGN.md. `npm run demo` runs it in process;
 * `npm run demo -- --network besuLocal` against the local chain of `npm run chain`.
 */

const zon = (wei: bigint) =>
  `${Number(formatUnits(wei, 18)).toLocaleString("en-US", { maximumFractionDigits: 4 })} ZON`;
let chapter = 0;
const say = (text: string) => console.log(`\n${++chapter}. ${text}`);
const detail = (text: string) => console.log(`   ${text}`);
const mined = async (tx: Promise<{ wait(): Promise<unknown> }>) => (await tx).wait();
const PERIOD = 202611;
const LARGE_PERIOD = 202612;
const EPOCH_RECORDS = 2_000;

async function main(): Promise<void> {
  const signers = await ethers.getSigners();
  const [
    relayer,
    ,
    ,
    policyOfficer,
    attestorA,
    attestorB,
    ,
    fulfiller,
    ,
    treasury,
    arbiter,
    acme,
    globex,
    initech,
  ] = signers;
  const names = new Map<string, string>([
    [acme.address, "Acme"],
    [globex.address, "Globex"],
    [initech.address, "Initech"],
    [treasury.address, "treasury"],
  ]);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  console.log(`ZonCoin demo on '${network.name}' (chain id ${chainId})`);

  say("The issuer deploys the suite with Hardhat Ignition and wires every role.");
  const { token, distributor, gateway, escrow, deployment, params } = await deploySuite(hre);
  for (const [name, address] of Object.entries(deployment.contracts)) detail(`${name.padEnd(17)} ${address}`);
  detail(
    `attestors: ${params.rewards.attestors.length}, threshold ${params.rewards.threshold}; distributor minter allowance ${zon(params.rewards.minterAllowance)}`,
  );
  names.set(await gateway.getAddress(), "gateway (locked)");
  names.set(await escrow.getAddress(), "escrow (locked)");

  say(
    `The policy officer publishes the cashback policy of billing period ${PERIOD}, before any attestation.`,
  );
  const rates = { compute: 500, storage: 300, network: 200, ai: 1_000 };
  if ((await distributor.periodPolicy(PERIOD))[1] === 0n) {
    await mined(distributor.connect(policyOfficer).publishPolicy(PERIOD, ratesFromNames(rates), 1_000_000n));
  }
  detail(
    `rates (bps): ${JSON.stringify(rates)}; budget 1,000,000 ZON; 1 US cent of spend = ${zon(params.rewards.weiPerCent)} before cashback`,
  );

  say("The billing backend attests usage; two of the three attestors sign each attestation (2-of-3).");
  const domain = rewardDomain(chainId, await distributor.getAddress());
  const deadline = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 30n * 86_400n;
  const nextId = await firstFreeId(distributor, PERIOD);
  const usage: Array<[Signer, number, bigint]> = [
    [acme, 0, 1_250_000n], // $12,500.00 of compute
    [globex, 1, 480_000n], // $4,800.00 of storage
    [initech, 5, 300_000n], // $3,000.00 of AI
  ];
  const attestations: UsageAttestation[] = await Promise.all(
    usage.map(async ([who, category, usageCents], i) => ({
      beneficiary: await who.getAddress(),
      customerId: keccakOfText(`demo-salt:cloud-account-${i}`),
      period: PERIOD,
      category,
      usageCents,
      id: nextId + BigInt(i),
      deadline,
    })),
  );
  const bundles = await Promise.all(
    attestations.map(async (a) => {
      const sigs = await Promise.all([attestorA, attestorB].map((s) => signAttestation(s, domain, a)));
      return bundleSignatures(sigs, (sig) => recoverAttestationSigner(domain, a, sig));
    }),
  );
  await mined(distributor.connect(relayer).claimBatch(attestations, bundles));
  for (const a of attestations) {
    const reward = await distributor.rewardFor(a.period, a.category, a.usageCents);
    detail(
      `${names.get(a.beneficiary)}: $${Number(a.usageCents) / 100} → cashback ${zon(reward)} (anyone can recompute it: rewardFor)`,
    );
  }
  const retry = await (await distributor.connect(relayer).claimBatch(attestations, bundles)).wait();
  const skipped = retry!.logs.filter(
    (l) => distributor.interface.parseLog(l)?.name === "AttestationSkipped",
  ).length;
  detail(
    `the relayer re-sends the same batch: ${skipped} of ${attestations.length} skipped as already claimed, nothing minted twice`,
  );

  say("A billing correction: an attestation signed by mistake is revoked before anyone claims it.");
  const mistaken: Revocation = { period: PERIOD, id: nextId + BigInt(usage.length) };
  const revocationBundle = bundleSignatures(
    await Promise.all([attestorA, attestorB].map((s) => signRevocation(s, domain, mistaken))),
    (sig) => recoverRevocationSigner(domain, mistaken, sig),
  );
  await mined(distributor.connect(relayer).revokeWithSignatures(mistaken, revocationBundle));
  detail(
    `id ${mistaken.id} revoked on the word of 2 of the 3 attestors, as issuance needs: one key alone can neither mint nor revoke`,
  );

  say(
    `A very large customer base: period ${LARGE_PERIOD} is settled as one Merkle epoch (${EPOCH_RECORDS.toLocaleString()} usage records).`,
  );
  if ((await distributor.periodPolicy(LARGE_PERIOD))[1] === 0n) {
    await mined(
      distributor
        .connect(policyOfficer)
        .publishPolicy(LARGE_PERIOD, ratesFromNames({ compute: 400, storage: 400 }), 500_000n),
    );
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "zon-demo-"));
  try {
    // A chain that already ran the demo gets the next epoch, with customer ids of its own (roots are unique).
    const epochNumber = Number(await firstFreeEpoch(distributor, LARGE_PERIOD));
    const rows = ["beneficiary,customerId,period,category,usageCents"];
    for (const [i, who] of [acme, globex].entries())
      rows.push(
        `${who.address},${keccakOfText(`demo-salt:big-${i}:epoch-${epochNumber}`)},${LARGE_PERIOD},compute,2000000`,
      );
    for (let i = 0; i < EPOCH_RECORDS - 2; i++) {
      rows.push(
        `${zeroPadValue(toBeHex(0xb0000 + i), 20)},${keccak256(toBeHex(i + epochNumber * EPOCH_RECORDS, 32))},${LARGE_PERIOD},${i % 2},${1_000 + ((i * 7_919) % 90_000)}`,
      );
    }
    await writeFile(path.join(dir, "usage.csv"), rows.join("\n") + "\n");
    const { epochRoot, signatures } = await buildEpoch({
      usageFile: path.join(dir, "usage.csv"),
      outDir: path.join(dir, "epoch"),
      policy: { weiPerCent: params.rewards.weiPerCent, ratesBps: [400, 400] },
      period: LARGE_PERIOD,
      epoch: epochNumber,
      claimDeadline: deadline,
      domain,
      signers: [attestorA, attestorB],
    });
    await mined(distributor.connect(relayer).publishEpoch(epochRoot, signatures));
    detail(
      `root ${epochRoot.root}: ${epochRoot.leafCount} leaves, ${zon(epochRoot.total)} reserved from the period budget, signed 2-of-3`,
    );
    const lines = (await readFile(path.join(dir, "epoch", "proofs.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as EpochProofLine);
    for (const who of [acme, globex]) {
      const line = lines.find((l) => l.beneficiary === who.address)!;
      for (const c of line.claims) {
        await mined(
          distributor
            .connect(who)
            .claimEpoch(
              epochRoot.root,
              c.index,
              who.address,
              c.customerId,
              c.category,
              c.usageCents,
              c.proof,
            ),
        );
        detail(
          `${names.get(who.address)} claims leaf ${c.index} with a ${c.proof.length}-hash proof: ${zon(BigInt(c.reward))}`,
        );
      }
    }
    detail(
      `unclaimed leaves stay reserved until the claim deadline, then releaseEpoch returns them to the budget, never minted`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  say("Businesses pay each other: Acme sends 100 ZON to Globex.");
  await mined(token.connect(acme).transfer(globex.address, parseUnits("100", 18)));
  detail(
    `Acme ${zon(await token.balanceOf(acme.address))}, Globex ${zon(await token.balanceOf(globex.address))}`,
  );

  say(
    `Acme buys a database migration from Initech under escrow: 3 milestones, an arbiter named, the platform fee (${await escrow.feeBps()} bps).`,
  );
  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const agreementId = await createAgreement(
    escrow,
    token,
    acme,
    {
      seller: initech.address,
      arbiter: arbiter.address,
      termsHash: keccakOfText("SOW: migrate billing DB"),
      deliveryDeadline: now + 30n * 86_400n,
      reviewWindow: 7n * 86_400n,
      acceptDeadline: now + 3n * 86_400n,
      arbitrationWindow: 14n * 86_400n,
      fallbackBuyerBps: 5_000n,
    },
    [parseUnits("200", 18), parseUnits("300", 18), parseUnits("100", 18)],
    { permitDeadline: now + 3_600n },
  );
  detail(`agreement ${agreementId} funded with 600 ZON in one transaction (ERC-2612 permit)`);
  await mined(escrow.connect(initech).accept(agreementId));
  detail(
    "Initech accepts it within its 3 days: only now does it bind the seller (until then Acme could take everything back)",
  );
  await mined(escrow.connect(initech).deliver(agreementId, 0));
  await mined(escrow.connect(acme).release(agreementId, 0));
  detail(
    "milestone 0: Initech delivers, Acme releases: 198 ZON to Initech, 2 ZON fee accrued for the treasury",
  );
  await mined(escrow.connect(initech).deliver(agreementId, 1));
  await mined(escrow.connect(acme).dispute(agreementId, 1));
  await mined(escrow.connect(arbiter).resolve(agreementId, 1, parseUnits("90", 18)));
  detail(
    "milestone 1: delivered, disputed by Acme; the arbiter splits it within its 14 days: 90 ZON back to Acme, 207.9 to Initech, 2.1 fee",
  );
  // Fees wait in the escrow's books until anyone sends them on (a treasury that cannot receive never blocks a release).
  const fees = await escrow.feesAccrued();
  await mined(escrow.connect(acme).withdrawFees());
  detail(`withdrawFees: the ${zon(fees)} ZON of fees go to the treasury (anyone may send them)`);
  const agreement = await readAgreement(escrow, agreementId);
  detail(
    `milestones now: ${agreement.milestones.map((m) => `${m.index}:${m.status}`).join(", ")} (milestone 2 stays in escrow until delivered or refunded)`,
  );

  say("Businesses redeem ZON: Globex 2 cloud credits (with a permit), Acme a catalogue item.");
  const permitDeadline = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 3_600n;
  await mined(
    redeemWithPermit(
      gateway,
      token,
      globex,
      1,
      2,
      parseUnits("20", 18),
      keccakOfText("globex-prod-account"),
      permitDeadline,
    ),
  );
  await mined(token.connect(acme).approve(await gateway.getAddress(), parseUnits("25", 18)));
  await mined(gateway.connect(acme).redeem(2, 1, parseUnits("25", 18), keccakOfText("acme-hq")));
  detail(`locked in the gateway: ${zon(await token.balanceOf(await gateway.getAddress()))}`);

  say(
    "The fulfilment worker accepts the requests on chain (their owners cannot cancel until it is done), delivers what it can, and refuses the catalogue item.",
  );
  const ledgerDir = await mkdtemp(path.join(os.tmpdir(), "zon-ledger-"));
  try {
    const adapter = new FileLedgerAdapter(path.join(ledgerDir, "ledger.jsonl"), new Set([1n]));
    const worker = new FulfilmentWorker({
      gateway: gateway.connect(fulfiller),
      adapter,
      fromBlock: deployment.fromBlock,
      confirmations: 0,
      workerId: workerIdOf("demo-worker"),
    });
    const report = await worker.runOnce();
    detail(
      `accepted ${report.accepted.join(", ")}; confirmed request(s) ${report.confirmed.join(", ")} (ZON burned); rejected ${report.rejected.join(", ")} (ZON returned)`,
    );
    for (const entry of adapter.ledger())
      detail(`ledger: redemption ${entry.redemptionKey} → ${entry.quantity} credit(s), code ${entry.code}`);
  } finally {
    await rm(ledgerDir, { recursive: true, force: true });
  }

  await finalReport(token, distributor, gateway, escrow, names, deployment.fromBlock);
}

/** The first attestation id of `period` not used yet (the demo can run twice on a persistent chain). */
async function firstFreeId(
  distributor: Awaited<ReturnType<typeof deploySuite>>["distributor"],
  period: number,
): Promise<bigint> {
  let id = 0n;
  for (;;) {
    const [claimed, revoked] = await distributor.attestationStatus(period, id);
    if (!claimed && !revoked) return id;
    id += 4n; // each run uses four ids: three claims and one revocation
  }
}

async function firstFreeEpoch(
  distributor: Awaited<ReturnType<typeof deploySuite>>["distributor"],
  period: number,
): Promise<number> {
  let epoch = 0;
  while ((await distributor.epochRootOf(period, epoch)) !== "0x" + "00".repeat(32)) epoch++;
  return epoch;
}

async function finalReport(
  token: Awaited<ReturnType<typeof deploySuite>>["token"],
  distributor: Awaited<ReturnType<typeof deploySuite>>["distributor"],
  gateway: Awaited<ReturnType<typeof deploySuite>>["gateway"],
  escrow: Awaited<ReturnType<typeof deploySuite>>["escrow"],
  names: Map<string, string>,
  fromBlock: number,
): Promise<void> {
  const transfers = (await queryInChunks(token, token.filters.Transfer(), {
    fromBlock,
  })) as EventLog[];
  const holders = new Set<string>();
  let minted = 0n;
  let burned = 0n;
  for (const t of transfers) {
    if (t.args.from === ZeroAddress) minted += t.args.value;
    else holders.add(t.args.from);
    if (t.args.to === ZeroAddress) burned += t.args.value;
    else holders.add(t.args.to);
  }
  const balances = new Map<string, bigint>();
  for (const h of holders) balances.set(h, await token.balanceOf(h));
  const supply = await token.totalSupply();
  const gatewayAddress = await gateway.getAddress();
  const escrowAddress = await escrow.getAddress();
  const locked = balances.get(gatewayAddress)! + (balances.get(escrowAddress) ?? 0n);

  console.log("\nFinal state");
  const rows = [...names].map(([address, name]) => ({
    account: name,
    balance: zon(balances.get(address) ?? 0n),
  }));
  const others = [...balances].filter(([a]) => !names.has(a)).reduce((sum, [, b]) => sum + b, 0n);
  rows.push({
    account: `other holders (${[...balances.keys()].filter((a) => !names.has(a)).length}, epoch)`,
    balance: zon(others),
  });
  console.table(rows);
  console.table([
    {
      "total supply": zon(supply),
      minted: zon(minted),
      burned: zon(burned),
      "locked (gateway + escrow)": zon(locked),
    },
  ]);

  // DESIGN.md invariants.
  const checks: Array<[string, boolean]> = [];
  checks.push(["totalSupply == Σ balances", supply === [...balances.values()].reduce((a, b) => a + b, 0n)]);
  checks.push(["totalSupply == minted - burned", supply === minted - burned]);
  let openTotal = 0n;
  for (const log of await queryInChunks(gateway, gateway.filters.RedemptionRequested(), {
    fromBlock,
  })) {
    const { request } = requestFromEvent(log);
    if (await gateway.isOpen(request.id)) openTotal += request.amount;
  }
  checks.push([
    "gateway balance == openTotal == Σ open requests",
    balances.get(gatewayAddress) === openTotal && (await gateway.openTotal()) === openTotal,
  ]);
  let unsettled = 0n;
  for (let id = 0n; id < (await escrow.nextAgreementId()); id++) {
    for (const m of (await readAgreement(escrow, id)).milestones)
      if (["funded", "delivered", "disputed"].includes(m.status)) unsettled += m.amount;
  }
  checks.push([
    "escrow balance == lockedTotal + feesAccrued, lockedTotal == Σ unsettled milestones",
    (balances.get(escrowAddress) ?? 0n) === unsettled + (await escrow.feesAccrued()) &&
      (await escrow.lockedTotal()) === unsettled,
  ]);
  for (const period of [PERIOD, LARGE_PERIOD]) {
    const [, budget, committed] = await distributor.periodPolicy(period);
    checks.push([`period ${period}: minted + reserved (${zon(committed)}) <= budget`, committed <= budget]);
  }
  for (const [what, ok] of checks) console.log(`   ${ok ? "ok  " : "FAIL"} ${what}`);
  if (checks.some(([, ok]) => !ok)) throw new Error("an invariant of DESIGN.md does not hold");
  console.log("All invariants hold.");
}

main().catch((error: unknown) => {
  console.error(`demo: ${describeError(error)}`);
  if (process.env.DEBUG) console.error(error);
  process.exitCode = 1;
});
