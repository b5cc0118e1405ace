import type { Command } from "../cli.ts";
import { genTpchCommand } from "./gen.ts";
import { sqlCommand } from "./sql.ts";
import { substraitRunCommand, substraitShowCommand } from "./substrait.ts";

export const COMMANDS: Command[] = [genTpchCommand, sqlCommand, substraitRunCommand, substraitShowCommand];
