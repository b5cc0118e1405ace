// trustql's own extension files (proto/extensions/*.yaml) are what another Substrait consumer
// reads to know the functions trustql's plans name: each file parses as YAML, carries its URN,
// and declares every function the planner may name in it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { JSON_TYPE_VARIATION, Plan, TRUSTQL_EXTENSIONS, extensionUrn } from "../../proto/index.ts";
import { planSql } from "../index.ts";
import { tpchCatalog } from "./tpch.ts";
import { TRUSTQL_FUNCTION_NAMES } from "../functions.ts";

const ROOT = join(import.meta.dirname, "..", "..");

interface ExtensionFile {
  urn: string;
  type_variations?: { parent: string; name: string; functions: string }[];
  scalar_functions?: { name: string; impls: unknown[] }[];
  aggregate_functions?: { name: string; impls: unknown[] }[];
  window_functions?: { name: string; impls: unknown[] }[];
}

function read(file: string): ExtensionFile {
  return parse(readFileSync(join(ROOT, "proto", "extensions", `${file}.yaml`), "utf8")) as ExtensionFile;
}

describe("trustql's extension files", () => {
  it("declare, under their URNs, every scalar function the planner names in them", () => {
    const file = read(TRUSTQL_EXTENSIONS.scalar);
    expect(file.urn).toBe(extensionUrn(TRUSTQL_EXTENSIONS.scalar));
    const declared = new Set(file.scalar_functions!.filter((f) => f.impls.length > 0).map((f) => f.name));
    expect(TRUSTQL_FUNCTION_NAMES.scalar.filter((name) => !declared.has(name))).toEqual([]);
  });

  it("declare the json variation of strings, which a plan holding JSON declares at its anchor", () => {
    expect(read(TRUSTQL_EXTENSIONS.scalar).type_variations).toContainEqual(expect.objectContaining({ parent: "string", name: "json", functions: "INHERITS" }));
    const declared = (plan: Plan) => plan.extensions.filter((e) => e.extensionTypeVariation).map((e) => e.extensionTypeVariation!);
    const json = planSql("select '{\"a\": 1}'::json as j, n_name from nation", tpchCatalog).plan;
    expect(declared(json)).toEqual([expect.objectContaining({ typeVariationAnchor: JSON_TYPE_VARIATION, name: "json" })]);
    const urn = json.extensionUrns.find((u) => u.extensionUrnAnchor === declared(json)[0].extensionUrnReference);
    expect(urn?.urn).toBe(extensionUrn(TRUSTQL_EXTENSIONS.scalar));
    expect(declared(planSql("select n_name from nation", tpchCatalog).plan)).toEqual([]);
  });

  it("declare every aggregate the planner names in them, as aggregates", () => {
    const file = read(TRUSTQL_EXTENSIONS.aggregate);
    expect(file.urn).toBe(extensionUrn(TRUSTQL_EXTENSIONS.aggregate));
    const declared = new Set(file.aggregate_functions!.filter((f) => f.impls.length > 0).map((f) => f.name));
    expect(TRUSTQL_FUNCTION_NAMES.aggregate.filter((name) => !declared.has(name))).toEqual([]);
  });
});
