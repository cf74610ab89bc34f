import { expect } from "chai";
import { getAddress, ZeroHash } from "ethers";
import {
  addToCashbackFiles,
  decodeCashbackFile,
  encodeCashbackFile,
  type CashbackFile,
  type SignedAttestation,
} from "../../src";

const DISTRIBUTOR = getAddress("0x5fc8d32690cc91d4c39d9d3abcbd16989f875707");
const ACME = getAddress("0x71be63f3384f5fb98995898a86b02fb2426c5788");
const GLOBEX = getAddress("0xfabb0ac9d68b0b445fb7357272ff202c5651694a");
const SIGNATURES = "0x" + "11".repeat(65);

function attestation(beneficiary: string, id: bigint): SignedAttestation {
  return {
    attestation: {
      beneficiary,
      customerId: ZeroHash,
      period: 202611,
      category: 0,
      usageCents: 100n,
      id,
      deadline: 2_000_000_000n,
    },
    signatures: SIGNATURES,
  };
}

describe("cashback files published for the portal", function () {
  const source = { chainId: 202611n, distributor: DISTRIBUTOR };

  it("groups attestations by beneficiary, each once", function () {
    const files = addToCashbackFiles(new Map(), source, [
      attestation(ACME, 0n),
      attestation(GLOBEX, 1n),
      attestation(ACME, 0n),
      attestation(ACME, 2n),
    ]);
    expect([...files.keys()]).to.deep.equal([ACME, GLOBEX]);
    expect(files.get(ACME)!.attestations.map((a) => a.attestation.id)).to.deep.equal([0n, 2n]);
  });

  it("reads back what it writes", function () {
    const file = addToCashbackFiles(new Map(), source, [attestation(ACME, 7n)]).get(ACME)!;
    expect(decodeCashbackFile(JSON.parse(JSON.stringify(encodeCashbackFile(file))))).to.deep.equal(file);
  });

  it("refuses to merge a file of another distributor, naming both", function () {
    const files = addToCashbackFiles(new Map(), source, [attestation(ACME, 0n)]);
    expect(() =>
      addToCashbackFiles(files, { chainId: 1n, distributor: DISTRIBUTOR }, [attestation(ACME, 1n)]),
    ).to.throw(
      `distributor: ${ACME}'s cashback file is for ${DISTRIBUTOR} on chain 202611, not ${DISTRIBUTOR} on chain 1`,
    );
  });

  it("refuses a file whose attestation is for another business", function () {
    const file: CashbackFile = {
      ...source,
      beneficiary: GLOBEX,
      attestations: [attestation(ACME, 0n)],
      epochClaims: [],
    };
    expect(() => decodeCashbackFile(encodeCashbackFile(file))).to.throw(
      `attestations: one is for ${ACME}, not ${GLOBEX}`,
    );
  });

  it("names the field of a malformed epoch leaf", function () {
    const json = encodeCashbackFile({
      ...source,
      beneficiary: ACME,
      attestations: [],
      epochClaims: [],
    }) as Record<string, unknown>;
    json.epochClaims = [{ root: "0x12", customerId: ZeroHash, proof: [] }];
    expect(() => decodeCashbackFile(json)).to.throw('epochClaims[0].root: "0x12" is not a 32-byte hex value');
  });

  it("refuses what is not a cashback file", function () {
    expect(() => decodeCashbackFile({ items: [] })).to.throw(
      "cashback: not a cashback file (expected attestations and epochClaims)",
    );
  });
});
