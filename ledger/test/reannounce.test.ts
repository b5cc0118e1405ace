// A transaction that stays open is announced again with growing pauses: a node with a backlog
// must not re-send all of it every second (that load grows with the backlog it came from).
import { describe, expect, it } from "vitest";
import { generateKeyPair, sign, toHex, verify } from "../crypto.ts";
import { LedgerNode, DEFAULT_REANNOUNCE_MS, RESYNC_MARGIN_MS, type LedgerNodeConfig } from "../consensus/node.ts";
import { MemoryLedger } from "../consensus/memory-ledger.ts";
import { peerIdOf } from "../identity/index.ts";
import { TOTAL_SUPPLY, type Transaction } from "../schema.ts";
import { addressOf, buildTransfer, nodeSigner, txHash } from "../tx/index.ts";

describe("re-announcements", () => {
  it("back off while a transaction stays open, up to four times the first pause", () => {
    const keys = [1, 2, 3].map((b) => generateKeyPair(new Uint8Array(32).fill(b)));
    const peers = keys.map((k) => toHex(peerIdOf({ masterKey: k.publicKey, powNonce: 0n })));
    const treasury = generateKeyPair(new Uint8Array(32).fill(9));
    const genesis: Transaction = {
      body: { inputs: [], outputs: [{ address: addressOf(treasury.publicKey), product: new Uint8Array(), amount: TOTAL_SUPPLY, fee: false }], createdMs: 0n, nonce: 0n },
      witnesses: [],
    };
    const state = new MemoryLedger();
    state.commit(genesis, txHash(genesis.body!), [], 0);
    const node = new LedgerNode({
      self: peers[0],
      signer: { peer: peerIdOf({ masterKey: keys[0].publicKey, powNonce: 0n }), publicKey: keys[0].publicKey, sign: (m) => sign(m, keys[0].secretKey) },
      peers,
      publicKeyOf: (p) => keys[peers.indexOf(p)]?.publicKey,
      state,
      verify,
      intervalMs: 50,
    });
    const transfer = buildTransfer(
      { available: [{ outPoint: { txHash: txHash(genesis.body!), index: 0 }, output: genesis.body!.outputs[0] }], to: addressOf(keys[1].publicKey), amount: 5n, fee: 0n, createdMs: 0 },
      nodeSigner(treasury),
    );
    node.submit(transfer, 0);
    // The peers never answer: the transaction stays open, and the node sends it again now and then.
    const resent: number[] = [];
    for (let now = 50; now <= 20_000; now += 50) {
      if (node.tick(now).some((o) => o.message.kind === "tx")) resent.push(now);
    }
    const pauses = resent.slice(1).map((at, i) => at - resent[i]);
    expect(resent[0]).toBeGreaterThanOrEqual(DEFAULT_REANNOUNCE_MS);
    expect(pauses.slice(0, 2)).toEqual([2 * DEFAULT_REANNOUNCE_MS, 4 * DEFAULT_REANNOUNCE_MS]);
    expect(pauses.slice(2).every((p) => p === 4 * DEFAULT_REANNOUNCE_MS)).toBe(true);
    expect(node.openCount).toBe(1);
  });
});

describe("a restarted validator", () => {
  it("asks its peers for what was committed since shortly before its store's last commit, or for everything when it has none", () => {
    const keys = [1, 2, 3].map((b) => generateKeyPair(new Uint8Array(32).fill(b)));
    const peers = keys.map((k) => toHex(peerIdOf({ masterKey: k.publicKey, powNonce: 0n })));
    const started = (lastCommitMs?: number) => {
      const config: LedgerNodeConfig = {
        self: peers[0],
        signer: { peer: peerIdOf({ masterKey: keys[0].publicKey, powNonce: 0n }), publicKey: keys[0].publicKey, sign: (m) => sign(m, keys[0].secretKey) },
        peers,
        publicKeyOf: (p) => keys[peers.indexOf(p)]?.publicKey,
        state: new MemoryLedger(),
        verify,
        intervalMs: 50,
        lastCommitMs,
      };
      return new LedgerNode(config).resync(peers.slice(1)).map((o) => o.message);
    };
    expect(started(1_764_800_000_000)).toEqual([{ kind: "sync", sinceMs: 1_764_800_000_000 - RESYNC_MARGIN_MS }]);
    expect(started(undefined)).toEqual([{ kind: "sync" }]);
  });
});
