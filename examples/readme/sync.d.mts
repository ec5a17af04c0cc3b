// Types of sync.mjs (plain JavaScript, so it runs with `node` alone).
export const ROOT: string
export const README: string
export function region(source: string, name: string, file?: string): string
export interface FencedBlock {
  lang: string
  /** 1-based line of the opening fence. */
  line: number
  code: string
  /** Where a snippet block comes from: a region of a file, or the whole file (`region: null`). */
  source?: { file: string; region: string | null }
}
export function fencedBlocks(markdown: string): FencedBlock[]
export function syncSnippets(markdown: string, read?: (file: string) => string): string
