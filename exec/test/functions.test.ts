// Substrait calls as DuckDB SQL, where the plan says more than the function's name: extract's
// indexing, like's case sensitivity, std_dev's and variance's distribution.
import { describe, expect, it } from "vitest";
import { aggregateName, renderScalar, windowName } from "../substrait/functions.ts";

const context = (declared: string, enums: string[] = [], options: Record<string, string> = {}) => ({
  enums,
  outputType: undefined,
  declared,
  options: new Map(Object.entries(options)),
});

describe("Substrait functions as DuckDB SQL", () => {
  it("extract counts from one or zero as the plan asks, whatever DuckDB counts from", () => {
    expect(renderScalar("extract", ["d"], context("extract:req_req_date", ["SUNDAY_DAY_OF_WEEK", "ZERO"]))).toBe("extract(dow FROM d)");
    expect(renderScalar("extract", ["d"], context("extract:req_req_date", ["SUNDAY_DAY_OF_WEEK", "ONE"]))).toBe("(extract(dow FROM d) + 1)");
    expect(renderScalar("extract", ["d"], context("extract:req_req_date", ["MONTH", "ZERO"]))).toBe("(extract(month FROM d) - 1)");
    expect(renderScalar("extract", ["d"], context("extract:req_req_date", ["MONTH", "ONE"]))).toBe("extract(month FROM d)");
    expect(renderScalar("extract", ["d"], context("extract:req_date", ["YEAR"]))).toBe("extract(year FROM d)");
    expect(() => renderScalar("extract", ["d"], context("extract:req_req_date", ["MONTH", "TWO"]))).toThrow(/indexing TWO/);
  });

  it("like is ILIKE when the plan asks for case insensitivity, and refuses what it cannot honour", () => {
    expect(renderScalar("like", ["s", "'a%'"], context("like:str_str"))).toBe("(s LIKE 'a%')");
    expect(renderScalar("like", ["s", "'a%'"], context("like:str_str", [], { CASE_SENSITIVITY: "CASE_INSENSITIVE" }))).toBe("(s ILIKE 'a%')");
    expect(() => renderScalar("like", ["s", "'a%'"], context("like:str_str", [], { CASE_SENSITIVITY: "CASE_INSENSITIVE_ASCII" }))).toThrow(/CASE_INSENSITIVE_ASCII/);
  });

  it("std_dev and variance are the sample's unless the plan says population", () => {
    expect(aggregateName("std_dev", "std_dev:fp64")).toBe("stddev_samp");
    expect(aggregateName("std_dev", "std_dev:fp64", new Map([["DISTRIBUTION", "POPULATION"]]))).toBe("stddev_pop");
    expect(aggregateName("variance", "variance:fp64", new Map([["DISTRIBUTION", "SAMPLE"]]))).toBe("var_samp");
    expect(windowName("variance", "variance:fp64", new Map([["DISTRIBUTION", "POPULATION"]]))).toBe("var_pop");
    expect(() => aggregateName("variance", "variance:fp64", new Map([["DISTRIBUTION", "BOTH"]]))).toThrow(/distribution BOTH/);
  });
});
