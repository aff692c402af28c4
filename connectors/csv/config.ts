// Configuration of the CSV source: one schema for the API, the YAML loader
// and the forms.

import { z } from "zod";

function isEncoding(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

const oneCharacter = (what: string) =>
  z.string().length(1, `${what} must be one character`).refine(
    (value) => value !== "\n" && value !== "\r",
    `${what} cannot be a line break`,
  );

/** Configuration of a CSV file source. */
export const csvConfigSchema = z.object({
  path: z.string().min(1).describe(
    "Path of the CSV file on the server, absolute or relative to the first allowed directory",
  ),
  delimiter: oneCharacter("Delimiter").default(",").describe(
    'Field separator, one character: "," or ";" or "\\t" or "|"',
  ),
  quote: oneCharacter("Quote").default('"').describe(
    "Character that encloses fields containing delimiters, quotes or line breaks",
  ),
  header: z.boolean().default(true).describe(
    "The first line names the columns; otherwise they are named column_1, column_2, …",
  ),
  encoding: z.string().default("utf-8").refine(
    isEncoding,
    "Unknown encoding, use a label such as utf-8, latin1, windows-1252 or utf-16le",
  ).describe("Text encoding of the file, e.g. utf-8, latin1, utf-16le"),
  gzip: z.boolean().optional().describe(
    'The file is gzip-compressed; when not set, true for paths ending in ".gz"',
  ),
  inferTypes: z.boolean().default(true).describe(
    "Guess column types (bigint, numeric, boolean, date, timestamptz) from the first batch; otherwise every column is text",
  ),
}).refine((config) => config.delimiter !== config.quote, {
  message: "Delimiter and quote must differ",
  path: ["quote"],
});

/** A validated CSV source configuration. */
export type CsvConfig = z.infer<typeof csvConfigSchema>;
