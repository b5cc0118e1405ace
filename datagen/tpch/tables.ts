// Each TPC-H table as one DuckDB SELECT over a row number, so DuckDB generates and writes the
// rows in a stream (clause 4.2.3's rules, column by column). Randomness is hash(seed, column,
// row): every value is a pure function of the seed and its row, so tables are generated
// independently, in any order, and always alike.
import { COLORS, COMMENT_WORDS, CONTAINER_SYLLABLES, INSTRUCTIONS, MODES, NATIONS, PRIORITIES, REGIONS, SEGMENTS, TYPE_SYLLABLES } from "./domains.ts";
import type { TpchTableName } from "./schema.ts";

/** Dates of clause 4.2.3: orders fall in [STARTDATE, ENDDATE − 151 days]; CURRENTDATE splits shipped from open. */
const START_DATE = "DATE '1992-01-01'";
const ORDER_DATE_SPAN = 2405; // days from 1992-01-01 to 1998-08-02
const CURRENT_DATE = "DATE '1995-06-17'";

export interface Cardinalities {
  supplier: number;
  customer: number;
  part: number;
  orders: number;
}

export function cardinalities(sf: number): Cardinalities {
  const scaled = (base: number) => Math.max(1, Math.floor(base * sf));
  return { supplier: scaled(10_000), customer: scaled(150_000), part: scaled(200_000), orders: scaled(1_500_000) };
}

function sqlList(values: readonly string[]): string {
  return `[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(", ")}]`;
}

/** SQL expressions drawing seeded values for one table; each column name is its own stream. */
class Draw {
  readonly #seed: number;
  readonly #streams = new Map<string, number>();

  constructor(seed: number) {
    this.#seed = seed;
  }

  #stream(column: string): number {
    let id = this.#streams.get(column);
    if (id === undefined) {
      id = this.#streams.size + 1;
      this.#streams.set(column, id);
    }
    return id;
  }

  /** A uniform integer in [low, high] for row `key`. */
  int(column: string, key: string, low: number, high: number): string {
    return `((hash(${this.#seed}, ${this.#stream(column)}, ${key}) % ${high - low + 1})::BIGINT + ${low})`;
  }

  pick(column: string, key: string, values: readonly string[]): string {
    return `${sqlList(values)}[${this.int(column, key, 1, values.length)}]`;
  }

  /** Hundredths in [low, high] as DECIMAL(15,2). */
  money(column: string, key: string, low: number, high: number): string {
    return `(${this.int(column, key, Math.round(low * 100), Math.round(high * 100))} * 0.01)::DECIMAL(15,2)`;
  }

  /** Random letters and digits, `low`–`high` characters long (clause 4.2.2.7's v-strings). */
  text(column: string, key: string, low: number, high: number): string {
    const base = `md5(${this.#seed}::VARCHAR || '/${this.#stream(column)}/' || ${key}::VARCHAR)`;
    return `left(${base} || upper(reverse(${base})), ${this.int(`${column}.length`, key, low, high)}::INTEGER)`;
  }

  /** Free text of `low`–`high` words from the comment vocabulary. */
  comment(column: string, key: string, low: number, high: number): string {
    const words = Array.from({ length: high }, (_, i) => this.pick(`${column}.${i}`, key, COMMENT_WORDS));
    return `array_to_string(list_slice([${words.join(", ")}], 1, ${this.int(`${column}.length`, key, low, high)}), ' ')`;
  }

  phone(column: string, key: string, nation: string): string {
    return `(${nation} + 10)::VARCHAR || '-' || ${this.int(`${column}.1`, key, 100, 999)} || '-' || ${this.int(`${column}.2`, key, 100, 999)} || '-' || ${this.int(`${column}.3`, key, 1000, 9999)}`;
  }
}

function padded(prefix: string, key: string): string {
  return `'${prefix}' || lpad(${key}::VARCHAR, 9, '0')`;
}

/** P_RETAILPRICE of clause 4.2.3: a function of the part key alone. */
function retailPrice(partkey: string): string {
  return `((90000 + ((${partkey} // 10) % 20001) + 100 * (${partkey} % 1000)) * 0.01)::DECIMAL(15,2)`;
}

/** The i-th (0..3) supplier of a part (clause 4.2.3, PS_SUPPKEY). */
function partSupplier(partkey: string, i: string, suppliers: number): string {
  return `((${partkey} + (${i} * (${Math.floor(suppliers / 4)} + (${partkey} - 1) // ${suppliers}))) % ${suppliers} + 1)::BIGINT`;
}

export function tableSql(name: TpchTableName, sf: number, seed: number): { sql: string; rows: number } {
  const n = cardinalities(sf);
  const d = new Draw(seed);
  switch (name) {
    case "region":
      return {
        rows: REGIONS.length,
        sql: `SELECT (i - 1)::BIGINT AS r_regionkey, ${sqlList(REGIONS)}[i] AS r_name, ${d.comment("r_comment", "i", 4, 14)} AS r_comment
              FROM range(1, ${REGIONS.length + 1}) t(i) ORDER BY i`,
      };
    case "nation":
      return {
        rows: NATIONS.length,
        sql: `SELECT (i - 1)::BIGINT AS n_nationkey, ${sqlList(NATIONS.map(([nation]) => nation))}[i] AS n_name,
                     [${NATIONS.map(([, region]) => region).join(", ")}][i]::BIGINT AS n_regionkey, ${d.comment("n_comment", "i", 4, 14)} AS n_comment
              FROM range(1, ${NATIONS.length + 1}) t(i) ORDER BY i`,
      };
    case "supplier": {
      // Clause 4.2.3: 5 in 10,000 suppliers have "Customer … Complaints" in their comment, 5 "Customer … Recommends".
      const special = d.int("s_special", "k", 1, 10_000);
      return {
        rows: n.supplier,
        sql: `SELECT k AS s_suppkey, ${padded("Supplier#", "k")} AS s_name, ${d.text("s_address", "k", 10, 40)} AS s_address,
                     nation AS s_nationkey, ${d.phone("s_phone", "k", "nation")} AS s_phone, ${d.money("s_acctbal", "k", -999.99, 9999.99)} AS s_acctbal,
                     CASE WHEN ${special} <= 5 THEN comment || ' Customer ' || ${d.pick("s_complaint", "k", COMMENT_WORDS)} || ' Complaints'
                          WHEN ${special} <= 10 THEN comment || ' Customer ' || ${d.pick("s_recommend", "k", COMMENT_WORDS)} || ' Recommends'
                          ELSE comment END AS s_comment
              FROM (SELECT i::BIGINT AS k, ${d.int("s_nationkey", "i", 0, 24)} AS nation, ${d.comment("s_comment", "i", 4, 12)} AS comment
                    FROM range(1, ${n.supplier + 1}) t(i)) ORDER BY k`,
      };
    }
    case "customer":
      return {
        rows: n.customer,
        sql: `SELECT k AS c_custkey, ${padded("Customer#", "k")} AS c_name, ${d.text("c_address", "k", 10, 40)} AS c_address, nation AS c_nationkey,
                     ${d.phone("c_phone", "k", "nation")} AS c_phone, ${d.money("c_acctbal", "k", -999.99, 9999.99)} AS c_acctbal,
                     ${d.pick("c_mktsegment", "k", SEGMENTS)} AS c_mktsegment, ${d.comment("c_comment", "k", 5, 14)} AS c_comment
              FROM (SELECT i::BIGINT AS k, ${d.int("c_nationkey", "i", 0, 24)} AS nation FROM range(1, ${n.customer + 1}) t(i)) ORDER BY k`,
      };
    case "part": {
      // P_NAME: five distinct colours, drawn as an offset and four further steps around the list.
      const words = ["p_name.0", "p_name.1", "p_name.2", "p_name.3"];
      const name = `array_to_string([${[0, 1, 2, 3, 4]
        .map((w) => `${sqlList(COLORS)}[(first_color + ${w === 0 ? 0 : words.slice(0, w).map((c) => d.int(c, "k", 1, 18)).join(" + ")}) % ${COLORS.length} + 1]`)
        .join(", ")}], ' ')`;
      return {
        rows: n.part,
        sql: `SELECT k AS p_partkey, ${name} AS p_name, 'Manufacturer#' || m AS p_mfgr, 'Brand#' || m || ${d.int("p_brand", "k", 1, 5)} AS p_brand,
                     ${d.pick("p_type.0", "k", TYPE_SYLLABLES[0])} || ' ' || ${d.pick("p_type.1", "k", TYPE_SYLLABLES[1])} || ' ' || ${d.pick("p_type.2", "k", TYPE_SYLLABLES[2])} AS p_type,
                     ${d.int("p_size", "k", 1, 50)}::INTEGER AS p_size,
                     ${d.pick("p_container.0", "k", CONTAINER_SYLLABLES[0])} || ' ' || ${d.pick("p_container.1", "k", CONTAINER_SYLLABLES[1])} AS p_container,
                     ${retailPrice("k")} AS p_retailprice, ${d.comment("p_comment", "k", 1, 4)} AS p_comment
              FROM (SELECT i::BIGINT AS k, ${d.int("p_mfgr", "i", 1, 5)} AS m, ${d.int("p_name.first", "i", 0, COLORS.length - 1)} AS first_color
                    FROM range(1, ${n.part + 1}) t(i)) ORDER BY k`,
      };
    }
    case "partsupp":
      return {
        rows: n.part * 4,
        sql: `SELECT p AS ps_partkey, ${partSupplier("p", "s", n.supplier)} AS ps_suppkey, ${d.int("ps_availqty", "key", 1, 9999)}::INTEGER AS ps_availqty,
                     ${d.money("ps_supplycost", "key", 1, 1000)} AS ps_supplycost, ${d.comment("ps_comment", "key", 8, 30)} AS ps_comment
              FROM (SELECT p, s, p * 4 + s AS key FROM range(1, ${n.part + 1}) t(p), range(0, 4) u(s)) ORDER BY p, s`,
      };
    case "orders":
    case "lineitem":
      return orderTables(name, n, d);
  }
}

function orderTables(name: "orders" | "lineitem", n: Cardinalities, d: Draw): { sql: string; rows: number } {
  // Order keys are sparse (clause 4.2.3): the first 8 of every 32 numbers.
  const orderkey = "(((i - 1) // 8) * 32 + (i - 1) % 8 + 1)::BIGINT";
  // A third of the customers never order: O_CUSTKEY is never a multiple of 3.
  const custkey = `CASE WHEN c % 3 = 0 THEN c - 1 ELSE c END`;
  const orders = `SELECT i, ${orderkey} AS orderkey, ${START_DATE} + ${d.int("o_orderdate", "i", 0, ORDER_DATE_SPAN)}::INTEGER AS orderdate,
                         ${d.int("o_lines", "i", 1, 7)} AS lines, ${d.int("o_custkey", "i", 1, Math.max(2, n.customer))} AS c
                  FROM range(1, ${n.orders + 1}) t(i)`;
  const line = "(i * 8 + n)";
  const lines = `SELECT i, orderkey, n, partkey, quantity, discount, tax, shipdate, commitdate, receiptdate,
                        (quantity * ${retailPrice("partkey")})::DECIMAL(15,2) AS extendedprice,
                        ${partSupplier("partkey", d.int("l_suppkey", line, 0, 3), n.supplier)} AS suppkey,
                        CASE WHEN shipdate > ${CURRENT_DATE} THEN 'O' ELSE 'F' END AS linestatus,
                        CASE WHEN receiptdate <= ${CURRENT_DATE} THEN ${d.pick("l_returnflag", line, ["R", "A"])} ELSE 'N' END AS returnflag
                 FROM (SELECT i, orderkey, n, ${d.int("l_partkey", line, 1, n.part)} AS partkey,
                              ${d.int("l_quantity", line, 1, 50)}::DECIMAL(15,2) AS quantity,
                              ${d.money("l_discount", line, 0, 0.1)} AS discount, ${d.money("l_tax", line, 0, 0.08)} AS tax,
                              orderdate + ${d.int("l_shipdate", line, 1, 121)}::INTEGER AS shipdate,
                              orderdate + ${d.int("l_commitdate", line, 30, 90)}::INTEGER AS commitdate,
                              orderdate + ${d.int("l_shipdate", line, 1, 121)}::INTEGER + ${d.int("l_receiptdate", line, 1, 30)}::INTEGER AS receiptdate
                       FROM (SELECT i, orderkey, orderdate, unnest(range(1, lines + 1)) AS n FROM (${orders})))`;
  if (name === "lineitem") {
    return {
      rows: -1, // known only once written: 1..7 lines per order
      sql: `SELECT orderkey AS l_orderkey, partkey AS l_partkey, suppkey AS l_suppkey, n::INTEGER AS l_linenumber, quantity AS l_quantity,
                   extendedprice AS l_extendedprice, discount AS l_discount, tax AS l_tax, returnflag AS l_returnflag, linestatus AS l_linestatus,
                   shipdate AS l_shipdate, commitdate AS l_commitdate, receiptdate AS l_receiptdate,
                   ${d.pick("l_shipinstruct", line, INSTRUCTIONS)} AS l_shipinstruct, ${d.pick("l_shipmode", line, MODES)} AS l_shipmode,
                   ${d.comment("l_comment", line, 2, 6)} AS l_comment
            FROM (${lines}) ORDER BY i, n`,
    };
  }
  return {
    rows: n.orders,
    sql: `SELECT o.orderkey AS o_orderkey, (${custkey})::BIGINT AS o_custkey,
                 CASE WHEN t.open = 0 THEN 'F' WHEN t.open = t.lines THEN 'O' ELSE 'P' END AS o_orderstatus,
                 t.total AS o_totalprice, o.orderdate AS o_orderdate, ${d.pick("o_orderpriority", "o.i", PRIORITIES)} AS o_orderpriority,
                 ${padded("Clerk#", d.int("o_clerk", "o.i", 1, Math.max(1, Math.floor(n.orders / 1500))))} AS o_clerk, 0::INTEGER AS o_shippriority,
                 ${d.comment("o_comment", "o.i", 4, 12)} AS o_comment
          FROM (${orders}) o
          JOIN (SELECT i, count(*) AS lines, count(*) FILTER (WHERE linestatus = 'O') AS open,
                       sum(extendedprice * (1 + tax) * (1 - discount))::DECIMAL(15,2) AS total
                FROM (${lines}) GROUP BY i) t ON t.i = o.i
          ORDER BY o.i`,
  };
}
