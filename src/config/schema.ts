/**
 * The zod schema of every option, built from the flag table's rows (their `type` and
 * `default`), never declared again here. Cross-flag rules live in rules.ts.
 */
import { z } from "zod";
import { FLAGS, type Flag } from "./flags.js";

type Row = (typeof FLAGS)[number];

/** A row's zod type with its default applied, or made optional when it has none. */
type Field<R> = R extends Flag<string, infer T, infer D> ? ([D] extends [undefined] ? z.ZodOptional<T> : z.ZodPrefault<T>) : never;

export type OptionsShape = { [R in Row as R["key"]]: Field<R> };

function field(f: Row): z.ZodType {
  // prefault, not default: the default is written as on the command line ("20", "2h")
  // and parsed like a given value.
  return f.default === undefined ? f.type.optional() : (f.type as z.ZodType).prefault(f.default);
}

export const optionsSchema: z.ZodObject<OptionsShape> = z.object(Object.fromEntries(FLAGS.map((f) => [f.key, field(f)])) as OptionsShape);

export type Options = z.infer<typeof optionsSchema>;
export type OptionKey = keyof Options;
