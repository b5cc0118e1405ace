// The contract between the fragmenter, the runner and the network: a query as stages, each a
// Substrait plan that one or many tasks run, joined by exchanges. Everything here is plain data
// (plans, numbers, strings) so that it can be hashed into the query transaction and sent.
import type { Plan, Type } from "../../proto/index.ts";

export interface StagedQuery {
  /** Every stage after the stages it reads; the last is the root, on the coordinator. */
  stages: Stage[];
  /** The result's column names. */
  names: string[];
}

export interface Stage {
  id: number;
  /** Reads base tables (see `scans`) and the tables exchangeTable(input) of its `inputs`. */
  plan: Plan;
  /**
   * "nodes": one task on every live node; the task of a node reads the chunks of `scans` that
   * node was given, and the exchange rows that came to it. "coordinator": one task there.
   */
  runsOn: "nodes" | "coordinator";
  /** Base tables the plan reads, by name; a coordinator stage reads only tables held everywhere. */
  scans: string[][];
  /**
   * The scanned tables (dotted names) held by every node: each of the stage's tasks reads all
   * their chunks, where the chunks of other tables are shared out among the tasks.
   */
  everywhere?: string[];
  /**
   * Scanned tables read by key range beside the one whose chunks the tasks share out: each task
   * reads the chunks whose range of the join key meets its own chunks' (see RangeReference).
   */
  references?: RangeReference[];
  /** Stages whose output this one reads. */
  inputs: number[];
  /** How its output rows go to each stage that reads them (a stage may have several readers, see readersOf). */
  output: Exchange;
  /** Its output columns' names (c0, c1, … except for the root): the exchange table's columns. */
  columns: string[];
  /** Its output columns' types. */
  types: Type[];
  /**
   * When a hash input of this stage may be salted: its output rows of a salted key are partial
   * and are merged at the key's home by `plan` (reading saltMergeTable(stage id)). The stage's
   * plan is then the aggregate itself, so its output is exactly what needs merging.
   */
  saltMerge?: SaltMerge;
  /**
   * For a stage whose one input is a forwarded stage that may be salted: this stage's plan with
   * that input's plan in place of the exchange. When the input's receivers salted nothing, its
   * tasks run this instead, over the input's own inputs, and save a round of tasks.
   */
  fusedWithInput?: Plan;
  /**
   * For a stage whose hash output keeps the keys only its chunks hold (Exchange local): `plan`
   * is its reader's plan with this stage's in place of the exchange (and so on through readers
   * fused into that one, see fusedWithInput), `stages` those readers. When every key is kept (no
   * two of the chunks it reads hold one key, none a NULL one), its tasks run `plan` instead and send its
   * rows where the last of `stages` sends them; those stages run no tasks, and no row waits in
   * an exchange between them.
   */
  fusedWhenKeysLocal?: { plan: Plan; stages: number[] };
  /** Its rows are the distinct keys of one side of a join, sent ahead so that the stage reading them drops the other side's rows without a match. */
  joinKeys?: boolean;
}

/**
 * A join of two tables clustered on its key (see CatalogTable.clustered) without an exchange:
 * the tasks share out the chunks of `driver`, and each reads the chunks of `table` whose range of
 * `column` meets the range of `driverColumn` in one of its own `driver` chunks — every row its
 * rows can match, wherever that row is. A task fetches such chunks its node lacks.
 */
export interface RangeReference {
  /** Dotted names: `table` is the name the stage's plan reads it by. */
  table: string;
  /** The dataset's table, when the stage reads it by another name (`table@rangeN`: it is also read otherwise, as in a join of a table with itself). */
  source?: string;
  column: string;
  driver: string;
  driverColumn: string;
}

/**
 * A key column straight from the chunks of a table clustered on it (`table`.`tableColumn`): a
 * row whose key lies only in the key ranges of its own task's chunks of the table, in no other
 * task's, stays on its node, its key's rows all there; the others go by hash.
 */
export interface LocalKeys {
  /** Output column index. */
  column: number;
  table: string;
  tableColumn: string;
}

export type Exchange =
  /** Each row to the node nearest the hash of its `keys` (output column indexes); see LocalKeys for `local`. */
  | { kind: "hash"; keys: number[]; salting?: Salting; local?: LocalKeys }
  /** Every row to every node. */
  | { kind: "broadcast" }
  /**
   * Every row to the coordinator. With `order`, each task's rows are sorted so, and the
   * coordinator merges the tasks' rows into that order before the reading stage sees them.
   */
  | { kind: "gather"; order?: OrderKey[] }
  /** Rows stay on the node that produced them. */
  | { kind: "forward" }
  /** The root's rows: the query's answer. */
  | { kind: "result" };

/**
 * One key of an ordered gather: an output column, its direction, and where its NULLs go (before
 * or after every value, whatever the direction), as DuckDB orders them.
 */
export interface OrderKey {
  column: number;
  descending: boolean;
  nullsFirst: boolean;
  /** The column holds intervals (as DuckDB's text of them): compared by their normalized parts, as DuckDB sorts them. */
  interval?: boolean;
}

/**
 * How a hash exchange behaves when its receiver salts a hot key: "spread" sends the key's rows
 * over its salt targets (choosing by the hash of `saltBy`, so rows equal on those columns stay
 * together; "any" when no rows need to, as for a join's side or an aggregate without DISTINCT:
 * they are dealt in turn), "replicate" sends them to every salt target (the other side of a join).
 */
export interface Salting {
  mode: "spread" | "replicate";
  saltBy: number[] | "any";
}

export interface SaltMerge {
  plan: Plan;
  /** Output column indexes of the key the salted rows were spread by. */
  keys: number[];
}

/** The table a consumer reads stage `id`'s output as. */
export function exchangeTable(id: number): string {
  return `__stage${id}_output`;
}

/** The table a salt merge reads a stage's salted partial rows as. */
export function saltMergeTable(id: number): string {
  return `__stage${id}_salted`;
}

/** The stages reading each stage's output, by its id (the root's list is empty). */
export function readersOf(query: StagedQuery): Map<number, number[]> {
  const readers = new Map<number, number[]>(query.stages.map((s) => [s.id, []]));
  for (const stage of query.stages) for (const input of stage.inputs) readers.get(input)!.push(stage.id);
  return readers;
}

function exchangeText(exchange: Exchange): string {
  switch (exchange.kind) {
    case "hash":
      return `hash(${exchange.keys.map((k) => `c${k}`).join(", ")})${exchange.salting ? ` salting=${exchange.salting.mode}` : ""}${exchange.local ? ` keeping keys only its chunks of ${exchange.local.table} hold (c${exchange.local.column})` : ""}`;
    case "gather":
      return exchange.order ? `gather merged by ${exchange.order.map((k) => `c${k.column} ${k.descending ? "DESC" : "ASC"}${k.nullsFirst ? " NULLS FIRST" : ""}`).join(", ")}` : "gather";
    default:
      return exchange.kind;
  }
}

/** One line per stage, root last: what runs where and where its rows go. */
export function explainStages(query: StagedQuery): string {
  const readers = readersOf(query);
  return query.stages
    .map((s) => {
      const scanned = (n: string[]) => {
        const name = n.join(".");
        const reference = s.references?.find((r) => r.table === name);
        if (reference) return `${name} (chunks ${reference.source ? `of ${reference.source} ` : ""}meeting ${reference.driver}'s by ${reference.column} = ${reference.driverColumn})`;
        return s.everywhere?.includes(name) ? `${name} (whole, held everywhere)` : name;
      };
      const reads = [...s.scans.map(scanned), ...s.inputs.map(exchangeTable)].join(", ");
      const notes = [
        ...(readers.get(s.id)!.length > 1 ? [`read by stages ${readers.get(s.id)!.join(", ")}`] : []),
        ...(s.saltMerge ? ["merges salted keys"] : []),
        ...(s.fusedWithInput ? [`runs in stage ${s.inputs[0]}'s tasks when that salts nothing`] : []),
        ...(s.fusedWhenKeysLocal ? [`stage${s.fusedWhenKeysLocal.stages.length > 1 ? "s" : ""} ${s.fusedWhenKeysLocal.stages.join(", ")} run${s.fusedWhenKeysLocal.stages.length > 1 ? "" : "s"} in its tasks when no two of its chunks hold one key`] : []),
        ...(s.joinKeys ? ["distinct join keys: the reader keeps only rows with one"] : []),
      ];
      return `stage ${s.id} on ${s.runsOn}: reads ${reads || "nothing"} → ${exchangeText(s.output)}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`;
    })
    .join("\n");
}
