// A transaction that stays open is announced again with growing pauses: a node with a backlog
// must not re-send all of it every second (that load grows with the backlog it came from). A
// restarted validator asks for what it missed since its last commit, in bounded runs.
import { describe, expect, it } from "vitest";
import { generateKeyPair, sign, toHex, verify } from "../crypto.ts";
import { LedgerNode, DEFAULT_REANNOUNCE_MS, MAX_WANTED, RESYNC_MARGIN_MS, type LedgerNodeConfig, type Outbound } from "../consensus/node.ts";
import { MemoryLedger } from "../consensus/memory-ledger.ts";
import { peerIdOf } from "../identity/index.ts";
import { TOTAL_SUPPLY, type Output, type Transaction } from "../schema.ts";
import { addressOf, buildTransfer, nodeSigner, signBody, txHash, type Spendable } from "../tx/index.ts";

const keys = [1, 2, 3].map((b) => generateKeyPair(new Uint8Array(32).fill(b)));
const peers = keys.map((k) => toHex(peerIdOf({ masterKey: k.publicKey, powNonce: 0n })));
const treasury = generateKeyPair(new Uint8Array(32).fill(9));
const genesis: Transaction = {
  body: { inputs: [], outputs: [{ address: addressOf(treasury.publicKey), product: new Uint8Array(), amount: TOTAL_SUPPLY, fee: false }], createdMs: 0n, nonce: 0n },
  witnesses: [],
};

/** Validator `i` of the three, its state holding genesis. */
function validator(i: number, config: Partial<LedgerNodeConfig> = {}): { node: LedgerNode; state: MemoryLedger } {
  const state = new MemoryLedger();
  state.commit(genesis, txHash(genesis.body!), [], 0);
  const node = new LedgerNode({
    self: peers[i],
    signer: { peer: peerIdOf({ masterKey: keys[i].publicKey, powNonce: 0n }), publicKey: keys[i].publicKey, sign: (m) => sign(m, keys[i].secretKey) },
    peers,
    publicKeyOf: (p) => keys[peers.indexOf(p)]?.publicKey,
    state,
    verify,
    intervalMs: 50,
    ...config,
  });
  return { node, state };
}

describe("re-announcements", () => {
  it("back off while a transaction stays open, up to four times the first pause", () => {
    const { node } = validator(0);
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
    const started = (lastCommitMs?: number) => validator(0, { lastCommitMs }).node.resync(peers.slice(1)).map((o) => o.message);
    expect(started(1_764_800_000_000)).toEqual([{ kind: "sync", sinceMs: 1_764_800_000_000 - RESYNC_MARGIN_MS }]);
    expect(started(undefined)).toEqual([{ kind: "sync" }]);
  });
});

describe("catching up", () => {
  it("comes in runs of at most MAX_WANTED certificates, and a validator asks on until it has everything", () => {
    const nodes = [0, 1, 2].map((i) => validator(i));
    // Every message delivered at once; the clock moves by ticks.
    let now = 0;
    const replies: number[] = [];
    const deliver = (from: number, outbound: Outbound[]) => {
      for (const { to, message } of outbound) {
        if (message.kind === "certified" && message.feed) replies.push(message.items.length);
        for (const [i, n] of nodes.entries()) if (i !== from && (to === "all" || to.includes(peers[i]))) deliver(i, n.node.receive(message, peers[from], now));
      }
    };
    // Two funding transactions of 150 coins each, then a transfer of each coin.
    const coins: Spendable[] = [];
    let change: Spendable = { outPoint: { txHash: txHash(genesis.body!), index: 0 }, output: genesis.body!.outputs[0] };
    for (const nonce of [0n, 1n]) {
      const outputs: Output[] = Array.from({ length: 150 }, () => ({ address: addressOf(treasury.publicKey), product: new Uint8Array(), amount: 1000n, fee: false }));
      outputs.push({ address: addressOf(treasury.publicKey), product: new Uint8Array(), amount: change.output.amount - 150_000n, fee: false });
      const funding = signBody({ inputs: [{ outPoint: change.outPoint, referenceOnly: false }], outputs, createdMs: 0n, nonce }, [change], [nodeSigner(treasury)]);
      deliver(0, nodes[0].node.submit(funding, now));
      const hash = txHash(funding.body!);
      outputs.slice(0, 150).forEach((output, index) => coins.push({ outPoint: { txHash: hash, index }, output }));
      change = { outPoint: { txHash: hash, index: 150 }, output: outputs[150] };
    }
    const count = coins.length + 2;
    coins.forEach((coin, i) => deliver(0, nodes[0].node.submit(buildTransfer({ available: [coin], to: addressOf(keys[1].publicKey), amount: 1000n, fee: 0n, createdMs: 0, nonce: BigInt(i) }, nodeSigner(treasury)), now)));
    while (nodes.some((n) => n.node.events.committed.length < count) && now < 600_000) {
      now += 50;
      for (const [i, n] of nodes.entries()) deliver(i, n.node.tick(now));
    }
    expect(nodes.map((n) => n.node.events.committed.length)).toEqual([count, count, count]);

    // Validator 2 comes back with nothing but genesis and asks validator 0 for everything.
    nodes[2] = validator(2);
    deliver(2, nodes[2].node.resync([peers[0]]));
    expect(count).toBeGreaterThan(MAX_WANTED);
    expect(replies).toEqual([MAX_WANTED, count - MAX_WANTED]);
    expect(nodes[2].node.events.committed.length).toBe(count);
    expect(nodes[2].state.coinSupply()).toBe(TOTAL_SUPPLY);
  });
});
