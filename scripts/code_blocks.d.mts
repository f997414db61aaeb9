/** A fenced code block of a Markdown text. */
export interface CodeBlock {
  /** The language after the fence (`ts`, `sh`, or empty). */
  lang: string;
  /** The rest of the info string (e.g. `needs-shared`). */
  info: string;
  /** 1-based line of the block's first code line. */
  line: number;
  code: string;
}
export function codeBlocks(markdown: string): CodeBlock[];
