// Writes shows.json: a few hundred made-up TV shows in the shape of TMDB's /search/tv results.
// Run once (`node generate-shows.mjs`); the output is committed so every run searches the same shows.
// Seeded, so running it again gives the same file.
import { writeFileSync } from 'node:fs'

const COUNT = 320

function mulberry32(seed) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const random = mulberry32(422)
const pick = (list) => list[Math.floor(random() * list.length)]
const between = (min, max) => min + Math.floor(random() * (max - min + 1))

const ADJECTIVES = [
  'Silent',
  'Crimson',
  'Hollow',
  'Northern',
  'Broken',
  'Golden',
  'Midnight',
  'Quiet',
  'Salt',
  'Iron',
  'Velvet',
  'Distant',
  'Burning',
  'Paper',
  'Glass',
  'Wild',
  'Last',
  'Lost',
  'Second',
  'Bitter',
]
const NOUNS = [
  'Harbor',
  'Anchor',
  'Lighthouse',
  'Tide',
  'Current',
  'Mooring',
  'Signal',
  'Orchard',
  'Frontier',
  'Ledger',
  'Station',
  'Canal',
  'Archive',
  'Garden',
  'Kingdom',
  'Parish',
  'Precinct',
  'Valley',
  'Circuit',
  'Bureau',
  'Ferry',
  'Relay',
  'Compass',
  'Summit',
  'Crossing',
  'District',
  'Foundry',
  'Shelter',
  'Engine',
  'Wire',
]
const PLACES = [
  'Ashford',
  'Port Amara',
  'Kestrel Bay',
  'Low Marsh',
  'New Calder',
  'Eastmoor',
  'Brackwater',
  'Sundale',
]
const PEOPLE = [
  'Marlowe',
  'Okafor',
  'Lindqvist',
  'Reyes',
  'Hart',
  'Nakamura',
  'Duval',
  'Brennan',
  'Sato',
  'Ivers',
]
const ROLES = [
  'A ferry captain tries',
  'Two detectives try',
  'A night-shift nurse tries',
  'A disgraced judge tries',
  'Three sisters try',
  'A radio host tries',
]
const PLOTS = [
  'keep a fading harbor town afloat',
  'untangle a decades-old disappearance',
  'run a failing restaurant',
  'outlast a winter cut off from the mainland',
  'expose a cartel hiding in plain sight',
  'rebuild a family business',
]
const TEMPLATES = [
  () => `The ${pick(ADJECTIVES)} ${pick(NOUNS)}`,
  () => `${pick(NOUNS)} of ${pick(PLACES)}`,
  () => `${pick(PEOPLE)}'s ${pick(NOUNS)}`,
  () => `${pick(ADJECTIVES)} ${pick(NOUNS)}`,
  () => `${pick(PLACES)} ${pick(NOUNS)}`,
  () => `The ${pick(NOUNS)}`,
]
// TMDB's TV genre ids.
const GENRES = [10759, 16, 35, 80, 99, 18, 10751, 9648, 10763, 10764, 10765, 10766, 10767, 10768, 37]
const LANGUAGES = [
  ['en', 'GB'],
  ['en', 'US'],
  ['da', 'DK'],
  ['es', 'ES'],
  ['ja', 'JP'],
  ['fr', 'FR'],
]
const path = () =>
  `/${Array.from({ length: 27 }, () => pick([...'abcdefghijklmnopqrstuvwxyz0123456789'])).join('')}.jpg`

const names = new Set()
const ids = new Set()
const shows = []
while (shows.length < COUNT) {
  const name = TEMPLATES[Math.floor(random() * TEMPLATES.length)]()
  if (names.has(name)) continue
  names.add(name)
  let id = between(1_000, 299_999)
  while (ids.has(id)) id = between(1_000, 299_999)
  ids.add(id)
  const [language, country] = pick(LANGUAGES)
  const genres = [...new Set([pick(GENRES), pick(GENRES)])].slice(0, between(1, 2))
  shows.push({
    adult: false,
    backdrop_path: random() < 0.9 ? path() : null,
    genre_ids: genres,
    id,
    origin_country: [country],
    original_language: language,
    original_name: name,
    overview: `${pick(ROLES)} to ${pick(PLOTS)}.`,
    popularity: Math.round(random() * 20_000) / 100,
    poster_path: random() < 0.95 ? path() : null,
    first_air_date: `${between(1985, 2025)}-${String(between(1, 12)).padStart(2, '0')}-${String(between(1, 28)).padStart(2, '0')}`,
    name,
    vote_average: Math.round(random() * 1000) / 100,
    vote_count: between(0, 5_000),
  })
}
shows.sort((a, b) => b.popularity - a.popularity)
// One show per line: small, and a regenerated file diffs line by line.
writeFileSync(
  new URL('./shows.json', import.meta.url),
  `[\n${shows.map((s) => JSON.stringify(s)).join(',\n')}\n]\n`,
)
console.log(`wrote ${shows.length} shows to shows.json`)
