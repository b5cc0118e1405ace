// A transaction that stays open is announced again with growing pauses: a node with a backlog
// must not re-send all of it every second (that load grows with the backlog it came from). A
// restarted validator asks for what it missed since its last commit, in bounded runs. A decided
// transaction's record is forgotten after a while: the state answers for it from then on. Votes
// for a transaction not seen yet wait a while for it, not forever.
import { describe, expect, it } from "vitest";
import { generateKeyPair, sign, toHex, verify } from "../crypto.ts";
import { LedgerNode, DEFAULT_REANNOUNCE_MS, MAX_UNREAD_OBSERVATIONS, MAX_WANTED, ORPHAN_VOTES_KEPT_MS, RESYNC_MARGIN_MS, type LedgerNodeConfig, type Message, type Outbound } from "../consensus/node.ts";
import { MemoryLedger } from "../consensus/memory-ledger.ts";
import { peerIdOf } from "../identity/index.ts";
import { verifyEdge } from "../observation/index.ts";
import { TOTAL_SUPPLY, TxState, type Output, type Transaction } from "../schema.ts";
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
  state.commit(genesis, txHash(genesis.body!), [], 0, []);
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
  it("asks its peers for what was committed since shortly before its state's last commit, or for everything when it has none", () => {
    const resyncOf = (state: MemoryLedger) => validator(0, { state }).node.resync(peers.slice(1)).map((o) => o.message);
    const restarted = new MemoryLedger();
    restarted.commit(genesis, txHash(genesis.body!), [], 1_764_800_000_000, []);
    expect(resyncOf(restarted)).toEqual([{ kind: "sync", sinceMs: 1_764_800_000_000 - RESYNC_MARGIN_MS }]);
    expect(resyncOf(new MemoryLedger())).toEqual([{ kind: "sync" }]);
  });
});

/** The three validators, every message delivered at once; the clock moves by ticks of 50 ms. */
function network(config: Partial<LedgerNodeConfig> = {}) {
  const nodes = [0, 1, 2].map((i) => validator(i, config));
  const sent: Message[] = [];
  const net = {
    nodes,
    now: 0,
    /** Every message sent, in order. */
    sent,
    deliver(from: number, outbound: Outbound[]): void {
      for (const { to, message } of outbound) {
        sent.push(message);
        for (const [i, n] of nodes.entries()) if (i !== from && (to === "all" || to.includes(peers[i]))) net.deliver(i, n.node.receive(message, peers[from], net.now));
      }
    },
    tick(): void {
      net.now += 50;
      for (const [i, n] of nodes.entries()) net.deliver(i, n.node.tick(net.now));
    },
  };
  return net;
}

const genesisCoin: Spendable = { outPoint: { txHash: txHash(genesis.body!), index: 0 }, output: genesis.body!.outputs[0] };

describe("catching up", () => {
  it("comes in runs of at most MAX_WANTED certificates, and a validator asks on until it has everything", () => {
    const net = network();
    const { nodes } = net;
    // Two funding transactions of 150 coins each, then a transfer of each coin.
    const coins: Spendable[] = [];
    let change = genesisCoin;
    for (const nonce of [0n, 1n]) {
      const outputs: Output[] = Array.from({ length: 150 }, () => ({ address: addressOf(treasury.publicKey), product: new Uint8Array(), amount: 1000n, fee: false }));
      outputs.push({ address: addressOf(treasury.publicKey), product: new Uint8Array(), amount: change.output.amount - 150_000n, fee: false });
      const funding = signBody({ inputs: [{ outPoint: change.outPoint, referenceOnly: false }], outputs, createdMs: 0n, nonce }, [change], [nodeSigner(treasury)]);
      net.deliver(0, nodes[0].node.submit(funding, net.now));
      const hash = txHash(funding.body!);
      outputs.slice(0, 150).forEach((output, index) => coins.push({ outPoint: { txHash: hash, index }, output }));
      change = { outPoint: { txHash: hash, index: 150 }, output: outputs[150] };
    }
    const count = coins.length + 2;
    coins.forEach((coin, i) => net.deliver(0, nodes[0].node.submit(buildTransfer({ available: [coin], to: addressOf(keys[1].publicKey), amount: 1000n, fee: 0n, createdMs: 0, nonce: BigInt(i) }, nodeSigner(treasury)), net.now)));
    while (nodes.some((n) => n.node.events.committed.length < count) && net.now < 600_000) net.tick();
    expect(nodes.map((n) => n.node.events.committed.length)).toEqual([count, count, count]);

    // Validator 2 comes back with nothing but genesis and asks validator 0 for everything.
    nodes[2] = validator(2);
    net.sent.length = 0;
    expect(nodes[2].node.caughtUp).toBe(false);
    net.deliver(2, nodes[2].node.resync([peers[0]]));
    expect(nodes[2].node.caughtUp).toBe(true); // the daemon stops asking again
    const replies = net.sent.flatMap((m) => (m.kind === "certified" && m.feed ? [m.items.length] : []));
    expect(count).toBeGreaterThan(MAX_WANTED);
    // Validator 0's commit order begins with genesis, which validator 2 has already.
    expect(replies).toEqual([MAX_WANTED, count + 1 - MAX_WANTED]);
    expect(nodes[2].node.events.committed.length).toBe(count);
    expect(nodes[2].state.coinSupply()).toBe(TOTAL_SUPPLY);
  });
});

describe("forgetting decided transactions", () => {
  it("drops their records after the retention, and answers for them from the state from then on", () => {
    const net = network({ retainDecidedMs: 1_000 });
    const { nodes } = net;
    const spend = (to: number) => buildTransfer({ available: [genesisCoin], to: addressOf(keys[to].publicKey), amount: 5n, fee: 0n, createdMs: 0 }, nodeSigner(treasury));
    const [winner, loser] = [spend(1), spend(2)];
    const [won, lost] = [winner, loser].map((tx) => toHex(txHash(tx.body!)));
    net.deliver(0, nodes[0].node.submit(winner, net.now));
    while (nodes.some((n) => n.node.status(won) !== "committed") && net.now < 10_000) net.tick();
    // The same output spent again, once the first spend is committed: refused where it came in.
    net.deliver(1, nodes[1].node.submit(loser, net.now));
    net.tick();
    expect(nodes.map((n) => n.node.status(won))).toEqual(Array(3).fill("committed"));
    expect(nodes[1].node.rejection(lost)).toBe("spent_input");
    expect(nodes[0].node.inspect(won)).toBeDefined();

    const until = net.now + 1_500;
    while (net.now < until) net.tick();
    for (const { node } of nodes) {
      expect(node.inspect(won)).toBeUndefined(); // forgotten…
      expect(node.inspect(lost)).toBeUndefined();
      expect(node.status(won)).toBe("committed"); // …and still known
      expect(toHex(txHash(node.transaction(won)!.body!))).toBe(won);
      const votes = node.acceptedVotes(won);
      expect(votes.length).toBeGreaterThanOrEqual(2); // a quorum of three
      for (const edge of votes) expect(verifyEdge(edge, keys[peers.indexOf(toHex(edge.header!.peer))].publicKey)).toBe(true);
    }

    expect([nodes[1].node.status(lost), nodes[1].node.rejection(lost)]).toEqual(["rejected", "spent_input"]);

    // The committed transaction comes again: nothing new happens to it.
    net.sent.length = 0;
    net.deliver(1, nodes[0].node.receive({ kind: "tx", tx: winner }, peers[1], net.now));
    expect(nodes[0].node.inspect(won)).toBeUndefined();
    expect(nodes[0].node.events.rejected).toEqual([]);
    // A peer asks for its certificate: it comes from the state, votes and all.
    net.deliver(1, nodes[0].node.receive({ kind: "certify", hashes: [won] }, peers[1], net.now));
    const certified = net.sent.find((m) => m.kind === "certified");
    expect(certified?.kind === "certified" && certified.items.map((c) => [toHex(txHash(c.tx.body!)), c.votes.length >= 2])).toEqual([[won, true]]);
    // A validator that lost everything catches up from what the others forgot.
    nodes[2] = validator(2, { retainDecidedMs: 1_000 });
    net.deliver(2, nodes[2].node.resync([peers[0]]));
    expect(nodes[2].node.status(won)).toBe("committed");
    expect(nodes[2].state.coinSupply()).toBe(TOTAL_SUPPLY);
  });
});

describe("votes for a transaction not seen yet", () => {
  it("are counted when it comes within ORPHAN_VOTES_KEPT_MS, and dropped after", () => {
    const transfer = buildTransfer({ available: [genesisCoin], to: addressOf(keys[1].publicKey), amount: 5n, fee: 0n, createdMs: 0 }, nodeSigner(treasury));
    const hash = toHex(txHash(transfer.body!));
    // Validator 1 has it and signs PENDING; validator 0 gets that vote, not the transaction.
    const voter = validator(1).node;
    voter.submit(transfer, 0);
    const vote = voter.tick(50).find((o) => o.message.kind === "observation")!.message;
    const pendingWeightAt = (arrivesMs: number) => {
      const { node } = validator(0);
      // The vote is counted at the tick, and the transaction asked for of its voter then.
      expect(node.receive(vote, peers[1], 100)).toEqual([]);
      const asked = node.tick(100).filter((o) => o.message.kind === "want");
      expect(asked).toEqual([{ to: [peers[1]], message: { kind: "want", hashes: [hash] } }]);
      node.tick(arrivesMs);
      node.receive({ kind: "tx", tx: transfer }, peers[1], arrivesMs);
      return node.inspect(hash)!.pendingWeight;
    };
    expect(pendingWeightAt(100 + ORPHAN_VOTES_KEPT_MS - 50)).toBe(1);
    expect(pendingWeightAt(100 + ORPHAN_VOTES_KEPT_MS)).toBe(0);
  });
});

describe("observations received between ticks", () => {
  const transfer = buildTransfer({ available: [genesisCoin], to: addressOf(keys[2].publicKey), amount: 7n, fee: 0n, createdMs: 0 }, nodeSigner(treasury));
  const hash = toHex(txHash(transfer.body!));
  const voteOf = (i: number) => {
    const voter = validator(i).node;
    voter.submit(transfer, 0);
    return voter.tick(50).find((o) => o.message.kind === "observation")!.message;
  };

  it("are counted at the next tick, before it decides", () => {
    const { node } = validator(0);
    node.submit(transfer, 0);
    node.receive(voteOf(1), peers[1], 60);
    node.receive(voteOf(2), peers[2], 70);
    expect(node.inspect(hash)!.pendingWeight).toBe(0);
    // Its own PENDING and the two received make the quorum this tick: it signs ACCEPTED in this tick's observation.
    const sent = node.tick(100).find((o) => o.message.kind === "observation")!.message;
    expect(node.inspect(hash)).toMatchObject({ pendingWeight: 3, signedAccepted: true });
    expect(sent.kind === "observation" && sent.observation.entries.map((e) => e.state)).toContain(TxState.TX_STATE_ACCEPTED);
  });

  it("are counted at once when MAX_UNREAD_OBSERVATIONS wait (a flood holds no more)", () => {
    const { node } = validator(0);
    node.submit(transfer, 0);
    const vote = voteOf(1);
    for (let i = 0; i < MAX_UNREAD_OBSERVATIONS - 1; i++) node.receive(vote, peers[1], 60);
    expect(node.inspect(hash)!.pendingWeight).toBe(0);
    node.receive(vote, peers[1], 60);
    expect(node.inspect(hash)!.pendingWeight).toBe(1);
  });
});
