import * as arrow from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Router, hashRows, keyTarget, member, nearest } from "../index.ts";

const members = Array.from({ length: 40 }, (_, i) => member(`12D3KooNode${i}`));

/** The hash of each row of one key column. */
function hashes(column: arrow.Vector): string[] {
  const { high, low } = hashRows([column], column.length);
  return Array.from(high, (h, i) => `${h}:${low[i]}`);
}

function decimals(values: bigint[], scale: number): arrow.Vector {
  const words = new Uint32Array(values.length * 4);
  values.forEach((v, i) => {
    let u = BigInt.asUintN(128, v);
    for (let w = 0; w < 4; w++, u >>= 32n) words[i * 4 + w] = Number(u & 0xffff_ffffn);
  });
  return arrow.makeVector(arrow.makeData({ type: new arrow.Decimal(scale, 38, 128), length: values.length, data: words }));
}

describe("key hashes", () => {
  it("are the ones every node computed so far (they place rows: they never change)", () => {
    const int64 = arrow.vectorFromArray([0n, 1n, -1n, 4294967296n, -4294967297n, 9007199254740993n, 123456789012345n], new arrow.Int64());
    const int32 = arrow.vectorFromArray([0, 1, -1, 2147483647, -2147483648, 42, null], new arrow.Int32());
    const pairs = (columns: arrow.Vector[]) => {
      const { high, low } = hashRows(columns, 7);
      return Array.from(high, (h, i) => [h, low[i]]);
    };
    expect(pairs([int64])).toEqual([[622913500, 2003841745], [324069802, 1728177238], [4188312397, 2565102921], [299387952, 4260538477], [3216037471, 3680176153], [1939771912, 1931144255], [3451592835, 2014593479]]);
    expect(pairs([int32])).toEqual([[622913500, 2003841745], [324069802, 1728177238], [4188312397, 2565102921], [711825520, 421034377], [2617704843, 2193437736], [398798391, 111611263], [3130128897, 2015899881]]);
    // Columns without NULLs take a faster path to the same hashes.
    for (const type of [new arrow.Int8(), new arrow.Int16(), new arrow.Int32(), new arrow.Uint32(), new arrow.Int64()]) {
      const values = type instanceof arrow.Uint32 ? [0, 1, 2 ** 31, 2 ** 32 - 1] : [0, 1, -1, -100, 100];
      const typed = type instanceof arrow.Int64 ? values.map(BigInt) : values;
      const dense = hashRows([arrow.vectorFromArray(typed, type as arrow.DataType)], values.length);
      const withNull = hashRows([arrow.vectorFromArray([...typed, null], type as arrow.DataType)], values.length + 1);
      expect(Array.from(dense.high), String(type)).toEqual(Array.from(withNull.high.subarray(0, values.length)));
      expect(Array.from(dense.low), String(type)).toEqual(Array.from(withNull.low.subarray(0, values.length)));
    }
    // Decimals with a fraction (123.45, -123.45, 0.01, -0.01, 9999999999.99), hashed without BigInt.
    expect(pairs([decimals([12345n, -12345n, 1n, -1n, 999999999999n, 0n, 0n], 2)]).slice(0, 5)).toEqual([[1542375690, 2172592890], [446248463, 1031252305], [2166133048, 1667624304], [965621993, 3121924894], [2250846392, 2020473706]]);
    expect(pairs([int64, int32])).toEqual([[3181302555, 3173388537], [3576120163, 3930174751], [490506695, 2311954716], [3344754854, 276467785], [3446880713, 3341030477], [325246666, 3211841330], [2576244607, 1530924123]]);
  });
});

describe("placement by XOR distance", () => {
  it("is the same on every node, whatever order it lists the members in", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 5 }), (target, r) => {
        const shuffled = [...members].reverse();
        expect(nearest(target, shuffled, r).map((m) => m.peerId)).toEqual(nearest(target, members, r).map((m) => m.peerId));
      }),
    );
  });

  it("routes a key hash to the member nearest its target, fast path and slow path alike", () => {
    const router = new Router(members);
    fc.assert(
      fc.property(fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 0xffff_ffff }), (high, low) => {
        const expected = nearest(keyTarget(high, low), members, 3).map((m) => members.indexOf(m));
        expect(router.home(high, low)).toBe(expected[0]);
        expect(router.targets(high, low, 3)).toEqual(expected);
      }),
    );
  });

  it("routes keys that share a prefix with the members' points as the full comparison does", () => {
    // The lookup by prefix decides most keys; keys next to a point, where points of two members
    // may share the prefix, are those it leaves to the full comparison.
    for (const group of [members.slice(0, 4), members]) {
      const router = new Router(group);
      const points = group.flatMap((m) => m.points.map((p) => new DataView(p.buffer, p.byteOffset).getUint32(0)));
      fc.assert(
        fc.property(fc.nat({ max: points.length - 1 }), fc.nat({ max: 0xfffff }), fc.nat({ max: 0xffff_ffff }), (point, rest, low) => {
          const high = ((points[point] & 0xfff0_0000) | rest) >>> 0;
          expect(router.home(high, low)).toBe(group.indexOf(nearest(keyTarget(high, low), group, 1)[0]));
        }),
        { numRuns: 2000 },
      );
    }
  });

  it("moves only the keys of a node that leaves", () => {
    const { high, low } = hashRows([arrow.vectorFromArray(Array.from({ length: 2000 }, (_, i) => i), new arrow.Int32())], 2000);
    const before = new Router(members);
    const leaving = 7;
    const after = new Router(members.filter((_, i) => i !== leaving));
    for (let i = 0; i < high.length; i++) {
      const was = members[before.home(high[i], low[i])].peerId;
      const is = after.members[after.home(high[i], low[i])].peerId;
      if (was !== members[leaving].peerId) expect(is).toBe(was);
    }
  });

  it("spreads keys over the nodes", () => {
    const router = new Router(members);
    const { high, low } = hashRows([arrow.vectorFromArray(Array.from({ length: 8000 }, (_, i) => `key-${i}`), new arrow.Utf8())], 8000);
    const counts = new Uint32Array(members.length);
    for (let i = 0; i < high.length; i++) counts[router.home(high[i], low[i])]++;
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThan((8000 / members.length) * 4);
  });
});

describe("key hashes", () => {
  it("are alike for an integer of any width", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -128, max: 127 }), { minLength: 1, maxLength: 50 }), (values) => {
        const expected = hashes(arrow.vectorFromArray(values.map(BigInt), new arrow.Int64()));
        expect(hashes(arrow.vectorFromArray(values, new arrow.Int8()))).toEqual(expected);
        expect(hashes(arrow.vectorFromArray(values, new arrow.Int16()))).toEqual(expected);
        expect(hashes(arrow.vectorFromArray(values, new arrow.Int32()))).toEqual(expected);
        expect(hashes(decimals(values.map(BigInt), 0))).toEqual(expected);
      }),
    );
  });

  it("are alike for a 64-bit integer and the same whole decimal, over the whole int64 range and in a sliced column", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { minLength: 2, maxLength: 30 }), fc.nat(), (values, cut) => {
        const column = arrow.vectorFromArray(values, new arrow.Int64());
        expect(hashes(column)).toEqual(hashes(decimals(values, 0)));
        const start = cut % values.length;
        expect(hashes(column.slice(start))).toEqual(hashes(column).slice(start));
      }),
    );
  });

  it("are alike for a decimal at any scale, including values past 53 bits", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 100n), max: 1n << 100n }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 6 }), (value, scale, extra) => {
        const scaledUp = value * 10n ** BigInt(extra);
        expect(hashes(decimals([scaledUp], scale + extra))).toEqual(hashes(decimals([value], scale)));
      }),
    );
    // A fraction within 53 bits (hashed without BigInt) and the same value stored past 53 bits (with it).
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 48n), max: 1n << 48n }), fc.integer({ min: 1, max: 6 }), (value, scale) => {
        const fraction = value * 10n + (value < 0n ? -7n : 7n);
        expect(hashes(decimals([fraction * 10n ** 20n], scale + 20))).toEqual(hashes(decimals([fraction], scale)));
      }),
    );
    expect(hashes(decimals([300n], 2))).toEqual(hashes(arrow.vectorFromArray([3], new arrow.Int32())));
    expect(hashes(decimals([150n], 2))).not.toEqual(hashes(decimals([15n], 2)));
  });

  it("are the same for a value wherever it sits in a sliced column", () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string(), { nil: null }), { minLength: 2, maxLength: 40 }), fc.nat(), (values, cut) => {
        const column = arrow.vectorFromArray(values, new arrow.Utf8());
        const start = cut % values.length;
        expect(hashes(column.slice(start))).toEqual(hashes(column).slice(start));
      }),
    );
  });

  it("keep keys of several columns apart", () => {
    const pair = (a: string[], b: string[]) => {
      const { high, low } = hashRows([arrow.vectorFromArray(a, new arrow.Utf8()), arrow.vectorFromArray(b, new arrow.Utf8())], a.length);
      return `${high[0]}:${low[0]}`;
    };
    expect(pair(["a"], ["bc"])).not.toBe(pair(["ab"], ["c"]));
    expect(pair(["abcd"], [""])).not.toBe(pair(["abc"], ["d"]));
    expect(hashes(arrow.vectorFromArray([null, ""], new arrow.Utf8())).length).toBe(2);
    const [nullHash, emptyHash] = hashes(arrow.vectorFromArray([null, ""], new arrow.Utf8()));
    expect(nullHash).not.toBe(emptyHash);
    expect(hashes(arrow.vectorFromArray([-0, 0], new arrow.Float64()))[0]).toBe(hashes(arrow.vectorFromArray([0], new arrow.Float64()))[0]);
  });
});
