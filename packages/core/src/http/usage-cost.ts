const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09

/**
 * Index just past the string that opens at `i` (a quote), or -1. Strings are most of an answer's
 * bytes: `indexOf` jumps to the next quote (natively), which closes the string unless an odd number
 * of backslashes precedes it (~4.5 → ~1.5 µs for a 600-byte chat completion, char by char before).
 */
function endOfString(text: string, i: number): number {
  let from = i + 1
  for (;;) {
    const quote = text.indexOf('"', from)
    if (quote < 0) return -1
    let backslashes = 0
    for (let k = quote - 1; k > i && text.charCodeAt(k) === BACKSLASH; k--) backslashes++
    if (backslashes % 2 === 0) return quote + 1
    from = quote + 1
  }
}

/** Index of the bracket closing the object or array that opens at `open`, or -1. */
function matchingClose(text: string, open: number): number {
  let depth = 0
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const end = endOfString(text, i)
      if (end < 0) return -1
      i = end - 1
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) return i
    }
  }
  return -1
}

/**
 * After a string ending at `end`: the object that is its value when the string is a key (a colon
 * follows); `'not-a-key'` when no colon follows; undefined when the value is not a whole object.
 */
function objectAfterKey(text: string, end: number): { open: number; close: number } | 'not-a-key' | undefined {
  let j = end
  while (isSpace(text.charCodeAt(j))) j++
  if (text.charCodeAt(j) !== COLON) return 'not-a-key'
  j++
  while (isSpace(text.charCodeAt(j))) j++
  if (text.charCodeAt(j) !== OPEN_BRACE) return undefined
  const close = matchingClose(text, j)
  return close < 0 ? undefined : { open: j, close }
}

/**
 * Where the value of the top-level `"usage"` key (an object) starts and ends in a JSON object's text;
 * the last one if the key repeats, as `JSON.parse` keeps the last. Undefined when there is none
 * spelled plainly (an escaped key is left to the caller's fallback).
 */
function topLevelUsageSpan(text: string): { open: number; close: number } | undefined {
  let depth = 0
  let span: { open: number; close: number } | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const end = endOfString(text, i)
      if (end < 0) return undefined
      // At depth 1 a string followed by a colon is a key of the top-level object.
      if (depth === 1 && end - i === 7 && text.startsWith('"usage"', i)) {
        const value = objectAfterKey(text, end)
        if (value !== 'not-a-key') {
          if (!value) return undefined
          span = value
          i = value.close
          continue
        }
      }
      i = end - 1
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--
  }
  return span
}

/**
 * The same span, found from the last `"usage"` of the text: upstreams put `usage` last or nearly
 * (OpenAI after `choices`, Anthropic after `content`), so only the usage object and what follows it
 * are scanned instead of the whole answer (~10 k of a billed request's instructions for a 600-byte
 * answer, bench/README). In valid JSON an unescaped quote before `usage"` opens that string, and a
 * string followed by a colon is a key; the key is the top-level object's when, after its value,
 * the text closes exactly one level, at its very end. Undefined when any of that does not hold (the
 * last `"usage"` is nested, a string value, or escaped): then the caller scans from the start.
 */
function lastTopLevelUsageSpan(text: string): { open: number; close: number } | undefined {
  const at = text.lastIndexOf('"usage"')
  if (at < 0) return undefined
  let backslashes = 0
  for (let k = at - 1; k >= 0 && text.charCodeAt(k) === BACKSLASH; k--) backslashes++
  if (backslashes % 2 === 1) return undefined
  const value = objectAfterKey(text, at + 7)
  if (!value || value === 'not-a-key') return undefined
  const { close } = value
  let depth = 0
  for (let i = close + 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const end = endOfString(text, i)
      if (end < 0) return undefined
      i = end - 1
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth < 0) {
        // The top-level object's own end, with nothing but whitespace after it.
        for (let k = i + 1; k < text.length; k++) if (!isSpace(text.charCodeAt(k))) return undefined
        return value
      }
    }
  }
  return undefined
}

/**
 * The answer's JSON text with `cost` (USD) added to its top-level `usage` object. Every other byte
 * the upstream sent is kept as it was — key order, number formatting, escapes, fields the gateway
 * does not know — and no second serialisation of the whole answer is paid on the hot path. When the
 * text cannot be edited in place (a `cost` is there already, or the key is spelled with escapes)
 * the parsed answer is serialised again with the cost set.
 *
 * @param json the same answer, parsed (its top-level `usage` must be an object)
 */
export function withUsageCost(text: string, json: Readonly<Record<string, unknown>>, cost: number): string {
  const usage = json.usage as Readonly<Record<string, unknown>>
  if (!Object.hasOwn(usage, 'cost')) {
    const span = lastTopLevelUsageSpan(text) ?? topLevelUsageSpan(text)
    if (span) {
      let last = span.close - 1
      while (isSpace(text.charCodeAt(last))) last--
      const entry = `"cost":${JSON.stringify(cost)}`
      return text.slice(0, last + 1) + (last === span.open ? entry : `,${entry}`) + text.slice(last + 1)
    }
  }
  return JSON.stringify({ ...json, usage: { ...usage, cost } })
}
