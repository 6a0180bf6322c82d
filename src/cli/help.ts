/**
 * --help laid out for the terminal: text wrapped at word boundaries to its width, never
 * inside a word (a word longer than the line stands alone on its line). Commander 14 wraps
 * only when the description column is at least 40 wide; beside a 38-column term such as
 * `--aws-associate-public-ip <true|false>`, at 80 columns, it left lines for the terminal
 * to break mid-word. Here a description goes beside its term while at least MIN_COLUMN
 * columns are left, and on the lines below it otherwise.
 */
import type { Help, HelpConfiguration } from "commander";

const INDENT = 2;
const GAP = 2;
const MIN_COLUMN = 30;
/** Indentation of a description below its term. */
const BELOW = 6;

/** `text` in lines of at most `width` characters, broken only at spaces; existing line breaks kept. */
export function wrapWords(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/ +/).filter((w) => w !== "")) {
      if (line === "") line = word;
      else if (line.length + 1 + word.length <= width) line += ` ${word}`;
      else {
        out.push(line);
        line = word;
      }
    }
    out.push(line);
  }
  return out;
}

/** The terminal's width for help: stdout's columns on a terminal, else 80. */
export function terminalWidth(): number {
  return process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : 80;
}

export function helpLayout(width: number): HelpConfiguration {
  return {
    helpWidth: width,
    formatItem(term: string, termWidth: number, description: string, helper: Help): string {
      const indent = " ".repeat(INDENT);
      if (!description) return indent + term;
      const column = width - INDENT - termWidth - GAP;
      if (column >= MIN_COLUMN) {
        const padded = term.padEnd(termWidth + term.length - helper.displayWidth(term));
        const [first = "", ...rest] = wrapWords(description, column);
        const under = " ".repeat(INDENT + termWidth + GAP);
        return [indent + padded + " ".repeat(GAP) + first, ...rest.map((l) => under + l)].join("\n");
      }
      const below = " ".repeat(BELOW);
      return [indent + term, ...wrapWords(description, Math.max(width - BELOW, MIN_COLUMN)).map((l) => below + l)].join("\n");
    },
    // Commander wraps these paragraphs with its own boxWrap, which also breaks only at
    // whitespace, but not below 40 columns: wrap them here.
    commandDescription: (cmd) => wrapWords(cmd.description(), width).join("\n"),
  };
}
