// Small random TPC-H-shaped data for semantic tests: keys that join, the constants the 22
// queries look for, and a few NULLs in every non-key column (the catalog allows them, and
// NULL handling is where planners go wrong).
import { TPCH_SCHEMA, type TpchTableName } from "../../datagen/tpch/schema.ts";

const ROWS: Record<TpchTableName, number> = {
  region: 5, nation: 14, supplier: 30, customer: 100, part: 100, partsupp: 400, orders: 500, lineitem: 2000,
};

/** A date that depends on the row only, so related dates of one row can be built around it. */
const ROW_DATE = "(DATE '1992-01-01' + ((i * 7919) % 2500)::INTEGER)";

/** Columns whose values must relate to each other or fall in the ranges the queries test. */
const SPECIAL: Record<string, string> = {
  r_name: "list_element(['ASIA', 'EUROPE', 'AMERICA', 'AFRICA', 'MIDDLE EAST'], (i % 5)::INTEGER + 1)",
  n_name: "list_element(['FRANCE', 'GERMANY', 'BRAZIL', 'CANADA', 'SAUDI ARABIA', 'CHINA', 'INDIA'], (i % 7)::INTEGER + 1)",
  n_regionkey: "(i % 5)::BIGINT + 1",
  l_quantity: "(floor(random() * 50) + 1)::DECIMAL(15,2)",
  l_discount: "(floor(random() * 11) / 100)::DECIMAL(15,2)",
  l_tax: "(floor(random() * 9) / 100)::DECIMAL(15,2)",
  l_shipdate: ROW_DATE,
  l_commitdate: `${ROW_DATE} + floor(random() * 60 - 30)::INTEGER`,
  l_receiptdate: `${ROW_DATE} + floor(random() * 30 + 1)::INTEGER`,
  o_orderdate: ROW_DATE,
  // As in TPC-H, some customers place no orders (Q13, Q22).
  o_custkey: "(floor(random() * 33 * $scale) * 3 + 1)::BIGINT",
};

const KEY_TABLE: Record<string, TpchTableName> = {
  regionkey: "region", nationkey: "nation", suppkey: "supplier", custkey: "customer", partkey: "part", orderkey: "orders",
};

const WORDS: Record<string, string[]> = {
  r_name: ["ASIA", "EUROPE", "AMERICA", "AFRICA", "MIDDLE EAST"],
  n_name: ["FRANCE", "GERMANY", "BRAZIL", "CANADA", "SAUDI ARABIA", "CHINA", "INDIA"],
  c_mktsegment: ["BUILDING", "AUTOMOBILE", "MACHINERY"],
  o_orderpriority: ["1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW"],
  o_orderstatus: ["F", "O", "P"],
  l_returnflag: ["R", "A", "N"],
  l_linestatus: ["O", "F"],
  l_shipmode: ["MAIL", "SHIP", "AIR", "AIR REG", "TRUCK"],
  l_shipinstruct: ["DELIVER IN PERSON", "NONE", "COLLECT COD"],
  p_brand: ["Brand#12", "Brand#23", "Brand#34", "Brand#45"],
  p_container: ["SM CASE", "SM BOX", "MED BOX", "MED BAG", "LG CASE", "LG BOX", "MED PKG"],
  p_type: ["ECONOMY ANODIZED STEEL", "MEDIUM POLISHED BRASS", "PROMO BRUSHED COPPER", "LARGE BRASS", "STANDARD POLISHED TIN"],
  p_name: ["forest green lace", "green misty", "forest peru", "azure blush"],
  c_phone: ["13-555", "31-444", "23-111", "29-222", "30-333", "18-999", "17-888", "10-000"],
};
const COMMENTS = ["Customer Complaints here", "special requests", "plain", "carefully"];

/** Region and nation keep their sizes; the other tables grow with `scale`. */
function rowsOf(table: TpchTableName, scale: number): number {
  return table === "region" || table === "nation" ? ROWS[table] : Math.round(ROWS[table] * scale);
}

function pick(words: string[]): string {
  return `list_element([${words.map((w) => `'${w}'`).join(", ")}], floor(random() * ${words.length})::INTEGER + 1)`;
}

function nullable(expr: string, rate: number): string {
  return rate > 0 ? `CASE WHEN random() < ${rate} THEN NULL ELSE ${expr} END` : expr;
}

/** SQL that creates and fills the eight tables (deterministic with `SET threads = 1` and a seed). */
export function randomTpchSql(nullRate = 0.03, scale = 1): string {
  const statements = ["SELECT setseed(0.25)"];
  for (const table of Object.values(TPCH_SCHEMA)) {
    const rows = rowsOf(table.name, scale);
    const columns = table.columns.map((col, index) => {
      const keyName = col.name.split("_")[1];
      const referenced = KEY_TABLE[keyName];
      let expr: string;
      if (referenced === table.name && index === 0) expr = "i + 1"; // the primary key
      else if (SPECIAL[col.name]) expr = nullable(SPECIAL[col.name].replace("$scale", String(scale)), col.name === "n_name" || col.name === "r_name" ? 0 : nullRate);
      else if (referenced) expr = nullable(`floor(random() * ${rowsOf(referenced, scale)})::BIGINT + 1`, nullRate);
      else if (WORDS[col.name]) expr = nullable(pick(WORDS[col.name]), nullRate);
      else if (col.name.endsWith("comment")) expr = nullable(pick(COMMENTS), nullRate);
      else if (col.type === "VARCHAR") expr = nullable(pick(["a", "b", "c"]), nullRate);
      else if (col.type === "DATE") expr = nullable("DATE '1992-01-01' + floor(random() * 2500)::INTEGER", nullRate);
      else if (col.type === "DECIMAL(15,2)") expr = nullable(`(random() * 1100 - 100)::DECIMAL(15,2)`, nullRate);
      else if (col.type === "INTEGER") expr = nullable("floor(random() * 50)::INTEGER + 1", nullRate);
      else expr = nullable("floor(random() * 10)::BIGINT + 1", nullRate);
      return `${expr} AS ${col.name}`;
    });
    statements.push(`CREATE TABLE ${table.name} AS SELECT ${columns.join(", ")} FROM range(${rows}) t(i)`);
  }
  return statements.join(";\n");
}
