import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blendedTrust, datt, eigenTrust, type TrustGraph } from "../trust/index.ts";

function graphOf(edges: [string, string, number][]): TrustGraph {
  const g = new Map<string, Map<string, number>>();
  for (const [from, to, s] of edges) {
    if (!g.has(from)) g.set(from, new Map());
    g.get(from)!.set(to, s);
  }
  return g;
}

describe("DATT", () => {
  it("multiplies scores along paths with a decay per rank, averaging paths of one rank", () => {
    const g = graphOf([
      ["me", "a", 1], ["me", "b", 0.5],
      ["a", "c", 0.8], ["b", "c", 0.4],
      ["c", "d", 1],
    ]);
    const t = datt(g, "me", 0.5);
    expect(t.get("a")).toBe(1);
    expect(t.get("b")).toBe(0.5);
    // rank 2: via a: 1 × 0.8 × 0.5 = 0.4; via b: 0.5 × 0.4 × 0.5 = 0.1; average 0.25
    expect(t.get("c")).toBeCloseTo(0.25);
    // rank 3: 0.25 × 1 × 0.5
    expect(t.get("d")).toBeCloseTo(0.125);
  });

  it("keeps a negative score but does not follow it, and the nearest rank wins", () => {
    const g = graphOf([["me", "liar", -1], ["liar", "x", 1], ["me", "a", 1], ["a", "liar", 1], ["a", "y", 1]]);
    const t = datt(g, "me");
    expect(t.get("liar")).toBe(-1);
    expect(t.has("x")).toBe(false);
    expect(t.get("y")).toBeCloseTo(0.5);
  });
});

describe("EigenTrust", () => {
  it("converges to the hand-computed vector of a small graph", () => {
    // a ⇄ b symmetric, seeds {a}: t = (1−α)·swap(t) + α·(1, 0)
    const g = graphOf([["a", "b", 1], ["b", "a", 1]]);
    const t = eigenTrust(g, ["a", "b"], { seeds: ["a"], seedBias: 0.2 });
    // t_a = 0.8 t_b + 0.2, t_b = 0.8 t_a  →  t_a = 0.2 / (1 − 0.64) = 0.5556
    expect(t.get("a")).toBeCloseTo(0.2 / 0.36, 6);
    expect(t.get("b")).toBeCloseTo(0.8 * (0.2 / 0.36), 6);
  });
});

const honest = Array.from({ length: 6 }, (_, i) => `h${i}`);

describe("trust properties", () => {
  const graph = fc
    .array(fc.tuple(fc.constantFrom(...honest), fc.constantFrom(...honest), fc.double({ min: -1, max: 1, noNaN: true })), { maxLength: 30 })
    .map((edges) => edges.filter(([a, b]) => a !== b));

  it("keeps every score in [−1, 1] and EigenTrust a distribution", () => {
    fc.assert(
      fc.property(graph, (edges) => {
        const g = graphOf(edges);
        for (const v of datt(g, "h0").values()) expect(Math.abs(v)).toBeLessThanOrEqual(1);
        const e = eigenTrust(g, honest, { seeds: ["h0"] });
        expect([...e.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
        for (const v of blendedTrust(g, "h0", honest, ["h0"]).values()) expect(Math.abs(v)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("gives a sybil cluster behind one weak link no more than that link carries", () => {
    fc.assert(
      fc.property(graph, fc.integer({ min: 1, max: 40 }), fc.double({ min: 0.01, max: 0.3, noNaN: true }), (edges, size, link) => {
        const sybils = Array.from({ length: size }, (_, i) => `s${i}`);
        const all = [...edges, ["h5", "s0", link] as [string, string, number]];
        for (const a of sybils) for (const b of sybils) if (a !== b) all.push([a, b, 1]);
        for (const s of sybils) all.push([s, "h0", -1]);
        const g = graphOf(all);
        // DATT: no sybil is trusted more than the weak link's score (every path crosses it).
        for (const s of sybils) expect(datt(g, "h0").get(s) ?? 0).toBeLessThanOrEqual(link + 1e-12);
        // EigenTrust: at the fixed point m = (1−α)(m + crossing), so the cluster holds at most (1−α)/α × crossing.
        const alpha = 0.15;
        const t = eigenTrust(g, [...honest, ...sybils], { seeds: ["h0"], seedBias: alpha });
        const h5Out = [...(g.get("h5") ?? new Map()).entries()].filter(([, s]) => s > 0);
        const share = link / h5Out.reduce((sum, [, s]) => sum + s, 0);
        const crossing = (t.get("h5") ?? 0) * share; // h5's mass that the link carries each step
        const clusterMass = sybils.reduce((sum, s) => sum + (t.get(s) ?? 0), 0);
        expect(clusterMass).toBeLessThanOrEqual(((1 - alpha) / alpha) * crossing + 1e-6);
      }),
      { numRuns: 100 },
    );
  });
});
