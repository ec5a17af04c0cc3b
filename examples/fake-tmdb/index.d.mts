// Types of the fake-tmdb modules (plain JavaScript, so `node main.mjs` runs without a build).

export interface FakeTmdbOptions {
  /** Default 0: a free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** The key accepted as `Authorization: Bearer <key>` or `?api_key=<key>`. Default FAKE_TMDB_KEY. */
  apiKey?: string
  /** Added before each answer: ms, or `[min, max]` ms picked at random. Default 0. */
  latency?: number | readonly [number, number]
  /** Share of requests answered 503 with `Retry-After`, from 0 to 1. Default 0. */
  failRate?: number
  /** Seconds sent in `Retry-After`, or a list to pick from at random. Default 1. */
  retryAfter?: number | readonly number[]
  /** Share of requests arriving on a reused keep-alive connection that are dropped unanswered. Default 0. */
  dropRate?: number
}

export interface FakeTmdbStats {
  /** Connections accepted since start. */
  connections: number
  /** Connections open now. */
  open: number
  requests: number
  /** Searches answered 200. */
  ok: number
  /** Requests answered 503 (failRate). */
  unavailable: number
  /** Requests dropped on a reused connection (dropRate). */
  dropped: number
  /** Requests without the key, answered 401. */
  unauthorized: number
}

export interface FakeTmdb {
  /** What TMDB_BASE_URL would be: `http://127.0.0.1:PORT/3`. */
  readonly baseUrl: string
  /** `http://127.0.0.1:PORT`: the key of a client's per-origin stats. */
  readonly origin: string
  readonly apiKey: string
  /** Connections accepted since start. */
  readonly connections: number
  /** Connections open now. */
  readonly open: number
  stats(): FakeTmdbStats
  /** Resolves true once `count` connections are open, false if that has not happened within `timeoutMs` (default 2000). */
  waitForOpen(count: number, timeoutMs?: number): Promise<boolean>
  /** Closes the server and destroys the connections still open. */
  close(): Promise<void>
}

export function startFakeTmdb(options?: FakeTmdbOptions): Promise<FakeTmdb>

export const FAKE_TMDB_KEY: string

export interface NormalizedFakeTmdbOptions {
  port: number
  host: string
  apiKey: string
  latency: [number, number]
  failRate: number
  retryAfter: number[]
  dropRate: number
}

/** Validates options (a TypeError naming the option and the value when one is wrong) and fills in defaults. */
export function normalizeOptions(options?: FakeTmdbOptions): NormalizedFakeTmdbOptions

/** FAKE_TMDB_PORT, FAKE_TMDB_KEY, FAKE_TMDB_LATENCY_MS, FAKE_TMDB_FAIL_RATE, FAKE_TMDB_RETRY_AFTER, FAKE_TMDB_DROP_RATE. */
export function optionsFromEnv(env?: Record<string, string | undefined>): FakeTmdbOptions

/** One result of TMDB's TV search. */
export interface TmdbShow {
  adult: boolean
  backdrop_path: string | null
  genre_ids: number[]
  id: number
  origin_country: string[]
  original_language: string
  original_name: string
  overview: string
  popularity: number
  poster_path: string | null
  first_air_date: string
  name: string
  vote_average: number
  vote_count: number
}

export interface TmdbSearchPage {
  page: number
  results: TmdbShow[]
  total_pages: number
  total_results: number
}

/** The fixture, most popular first. */
export const SHOWS: readonly TmdbShow[]

export function searchTv(
  query: string | null,
  page: string | null,
): { status: number; body: TmdbSearchPage | { status_code: number; status_message: string; success: false } }

export interface TmdbConnection {
  /** TMDB_BASE_URL, or the fake's `http://127.0.0.1:PORT/3`. */
  baseUrl: string
  /** TMDB_API_KEY, or the fake's key. */
  apiKey: string
  /** Whether a fake-tmdb was started for it. */
  fake: boolean
  /** Closes the fake, if one was started. */
  close(): Promise<void>
}

/** The real TMDB when TMDB_BASE_URL (and TMDB_API_KEY) are set; otherwise a fake-tmdb started here. */
export function tmdbFromEnv(env?: Record<string, string | undefined>): Promise<TmdbConnection>
