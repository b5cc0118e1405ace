import { describe, expect, it } from "vitest";
import { dynamicPivot, MAX_PIVOT_VALUES } from "../parse/dynamic-pivot.ts";

describe("a PIVOT statement without its values", () => {
  it("is found as a statement or in parentheses, and only where ON lists no values", () => {
    expect(dynamicPivot("SELECT * FROM t")).toBeUndefined();
    expect(dynamicPivot("PIVOT t ON c IN ('a') USING sum(x)")).toBeUndefined();
    expect(dynamicPivot("SELECT * FROM t PIVOT (sum(x) FOR c IN ('a'))")).toBeUndefined();
    expect(dynamicPivot("PIVOT t ON a IN (1), b IN ('x') USING sum(x)")).toBeUndefined();
    expect(dynamicPivot("PIVOT t ON c USING sum(x) GROUP BY g")?.valuesSql).toBe(`SELECT DISTINCT CAST(c AS VARCHAR) AS value FROM t WHERE (c) IS NOT NULL ORDER BY value LIMIT ${MAX_PIVOT_VALUES + 1}`);
    expect(dynamicPivot("SELECT * FROM (PIVOT (SELECT * FROM t WHERE k > 1) s ON upper(c) USING count(*)) p")?.valuesSql).toBe(
      `SELECT DISTINCT CAST(upper(c) AS VARCHAR) AS value FROM (SELECT * FROM t WHERE k > 1) s WHERE (upper(c)) IS NOT NULL ORDER BY value LIMIT ${MAX_PIVOT_VALUES + 1}`,
    );
  });

  it("ON several columns, asks each one's values (tagged by its column) that lists none, and lists each after its column", () => {
    const pivot = dynamicPivot("PIVOT t ON a, b IN ('x'), upper(c) USING sum(x)")!;
    expect(pivot.valuesSql).toBe(
      "SELECT value FROM (SELECT DISTINCT '00:' || CAST(a AS VARCHAR) AS value FROM t WHERE (a) IS NOT NULL UNION ALL " +
        `SELECT DISTINCT '01:' || CAST(upper(c) AS VARCHAR) AS value FROM t WHERE (upper(c)) IS NOT NULL) ORDER BY value LIMIT ${2 * (MAX_PIVOT_VALUES + 1)}`,
    );
    expect(pivot.withValues(["00:1", "00:2", "01:P", "01:Q's"])).toBe("PIVOT t ON a IN ('1', '2'), b IN ('x'), upper(c) IN ('P', 'Q''s') USING sum(x)");
    expect(() => pivot.withValues(["00:1"])).toThrow(/PIVOT ON upper\(c\): it has no values/);
  });

  it("lists its values as quoted text after ON's expression, and names none or too many as the user's error", () => {
    const pivot = dynamicPivot("PIVOT t ON c USING sum(x) GROUP BY g ORDER BY g")!;
    expect(pivot.withValues(["a", "it's", "2024-01-01"])).toBe("PIVOT t ON c IN ('a', 'it''s', '2024-01-01') USING sum(x) GROUP BY g ORDER BY g");
    expect(() => pivot.withValues([])).toThrow(/no values \(other than NULL\)/);
    expect(() => pivot.withValues(Array.from({ length: MAX_PIVOT_VALUES + 1 }, (_, i) => String(i)))).toThrow(/more than 1000 values/);
    expect(dynamicPivot("PIVOT t ON c")!.withValues(["x"])).toBe("PIVOT t ON c IN ('x')");
  });
});
