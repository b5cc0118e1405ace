// A plan's function declarations: anchor → function name. Producers write the name with its
// signature (`add:i64_i64`, `and:bool?`, `count:`) and point at the extension file through an
// URN (current) or an URI (deprecated, still sent by Isthmus, DuckDB and DataFusion). Names of
// the standard files do not collide in meaning, so the consumer keys on the bare name and keeps
// the file only for messages.
import type { Plan } from "../../proto/index.ts";
import { UserError } from "../../common/errors.ts";

export interface DeclaredFunction {
  /** Lower-case name without its signature: `add`, `count`. */
  name: string;
  /** What the producer wrote, for messages: `add:i64_i64`. */
  declared: string;
  /** The extension file's URN or URI, as declared. */
  source: string;
}

export class FunctionDeclarations {
  readonly #byAnchor = new Map<number, DeclaredFunction>();

  constructor(plan: Plan) {
    const sources = new Map<string, string>();
    for (const urn of plan.extensionUrns) sources.set(`urn:${urn.extensionUrnAnchor}`, urn.urn);
    for (const uri of plan.extensionUris) sources.set(`uri:${uri.extensionUriAnchor}`, uri.uri);
    for (const declaration of plan.extensions) {
      const fn = declaration.extensionFunction;
      if (!fn) continue; // type and type-variation declarations need nothing at run time
      if (this.#byAnchor.has(fn.functionAnchor)) {
        throw new UserError(`plan declares function anchor ${fn.functionAnchor} twice`);
      }
      const source =
        sources.get(`urn:${fn.extensionUrnReference}`) ?? sources.get(`uri:${fn.extensionUriReference}`) ?? "(no extension file)";
      this.#byAnchor.set(fn.functionAnchor, {
        name: fn.name.split(":")[0].toLowerCase(),
        declared: fn.name,
        source,
      });
    }
  }

  get(anchor: number): DeclaredFunction {
    const fn = this.#byAnchor.get(anchor);
    if (!fn) throw new UserError(`plan refers to function anchor ${anchor}, which it does not declare`);
    return fn;
  }
}
