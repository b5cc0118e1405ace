// The eight TPC-H tables as the specification (clause 1.4) defines them, in DuckDB's type
// names: identifiers are BIGINT (they outgrow INTEGER above SF 300), money and quantities
// DECIMAL(15,2), dates DATE, fixed and variable text VARCHAR. Every column is NOT NULL in
// the specification.

export interface TpchColumn {
  name: string;
  type: "BIGINT" | "INTEGER" | "DECIMAL(15,2)" | "DATE" | "VARCHAR";
}

export interface TpchTable {
  name: TpchTableName;
  columns: TpchColumn[];
}

export const TPCH_TABLE_NAMES = [
  "region",
  "nation",
  "supplier",
  "customer",
  "part",
  "partsupp",
  "orders",
  "lineitem",
] as const;

export type TpchTableName = (typeof TPCH_TABLE_NAMES)[number];

function table(name: TpchTableName, spec: string): TpchTable {
  const columns = spec
    .trim()
    .split(/\s*,\s*(?![^()]*\))/)
    .map((part) => {
      const [columnName, type] = part.split(/\s+/, 2);
      return { name: columnName, type: type as TpchColumn["type"] };
    });
  return { name, columns };
}

const MONEY = "DECIMAL(15,2)";

export const TPCH_SCHEMA: Record<TpchTableName, TpchTable> = {
  region: table("region", "r_regionkey BIGINT, r_name VARCHAR, r_comment VARCHAR"),
  nation: table("nation", "n_nationkey BIGINT, n_name VARCHAR, n_regionkey BIGINT, n_comment VARCHAR"),
  supplier: table(
    "supplier",
    `s_suppkey BIGINT, s_name VARCHAR, s_address VARCHAR, s_nationkey BIGINT, s_phone VARCHAR,
     s_acctbal ${MONEY}, s_comment VARCHAR`,
  ),
  customer: table(
    "customer",
    `c_custkey BIGINT, c_name VARCHAR, c_address VARCHAR, c_nationkey BIGINT, c_phone VARCHAR,
     c_acctbal ${MONEY}, c_mktsegment VARCHAR, c_comment VARCHAR`,
  ),
  part: table(
    "part",
    `p_partkey BIGINT, p_name VARCHAR, p_mfgr VARCHAR, p_brand VARCHAR, p_type VARCHAR,
     p_size INTEGER, p_container VARCHAR, p_retailprice ${MONEY}, p_comment VARCHAR`,
  ),
  partsupp: table(
    "partsupp",
    `ps_partkey BIGINT, ps_suppkey BIGINT, ps_availqty INTEGER, ps_supplycost ${MONEY},
     ps_comment VARCHAR`,
  ),
  orders: table(
    "orders",
    `o_orderkey BIGINT, o_custkey BIGINT, o_orderstatus VARCHAR, o_totalprice ${MONEY},
     o_orderdate DATE, o_orderpriority VARCHAR, o_clerk VARCHAR, o_shippriority INTEGER,
     o_comment VARCHAR`,
  ),
  lineitem: table(
    "lineitem",
    `l_orderkey BIGINT, l_partkey BIGINT, l_suppkey BIGINT, l_linenumber INTEGER,
     l_quantity ${MONEY}, l_extendedprice ${MONEY}, l_discount ${MONEY}, l_tax ${MONEY},
     l_returnflag VARCHAR, l_linestatus VARCHAR, l_shipdate DATE, l_commitdate DATE,
     l_receiptdate DATE, l_shipinstruct VARCHAR, l_shipmode VARCHAR, l_comment VARCHAR`,
  ),
};
