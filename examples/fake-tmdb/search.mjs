import { readFileSync } from 'node:fs'

/** The fixture: made-up shows in the shape of TMDB's TV search results, most popular first. */
export const SHOWS = JSON.parse(readFileSync(new URL('./shows.json', import.meta.url), 'utf8'))

const PAGE_SIZE = 20
const MAX_PAGE = 500

/**
 * TMDB's `/search/tv`: every word of `query` must appear in the show's name (case-insensitive),
 * most popular first, 20 a page. Returns the body and its status, as TMDB words them.
 */
export function searchTv(query, pageParam) {
  const page = pageParam === null ? 1 : Number(pageParam)
  if (!Number.isInteger(page) || page < 1 || page > MAX_PAGE) {
    return {
      status: 400,
      body: {
        status_code: 22,
        status_message: 'Invalid page: Pages start at 1 and max at 500. They are expected to be an integer.',
        success: false,
      },
    }
  }
  const words = (query ?? '').toLowerCase().split(/\s+/).filter(Boolean)
  const matches =
    words.length === 0
      ? []
      : SHOWS.filter((show) => {
          const name = show.name.toLowerCase()
          return words.every((word) => name.includes(word))
        })
  return {
    status: 200,
    body: {
      page,
      results: matches.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
      total_pages: Math.max(1, Math.ceil(matches.length / PAGE_SIZE)),
      total_results: matches.length,
    },
  }
}
