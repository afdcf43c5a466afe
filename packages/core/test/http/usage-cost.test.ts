import { describe, expect, it } from 'vitest'
import { withUsageCost } from '../../src/http/usage-cost.js'

/** What the answer must mean: the parsed body with usage.cost set (JSON.parse keeps a repeated key's last value). */
const expected = (text: string, cost: number) => {
  const json = JSON.parse(text) as Record<string, Record<string, unknown>>
  return { ...json, usage: { ...json.usage, cost } }
}
const splice = (text: string, cost = 0.000123) => withUsageCost(text, JSON.parse(text) as Record<string, unknown>, cost)

describe('withUsageCost', () => {
  it('adds cost inside the top-level usage object and keeps every other byte of the upstream', () => {
    const text = '{"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7},"system_fingerprint":"fp_1"}'
    const out = splice(text)
    expect(out).toBe(text.replace('"total_tokens":7}', '"total_tokens":7,"cost":0.000123}'))
    expect(JSON.parse(out)).toEqual(expected(text, 0.000123))
  })

  it('keeps number formatting, escapes and unknown fields the upstream sent (a re-serialisation would not)', () => {
    const text = '{"x":1.50,"s":"caf\\u00e9","usage":{"prompt_tokens":1e1,"extra":{"a":[1,{"b":"}"}]}},"y":true}'
    const out = splice(text, 2e-7)
    expect(out).toBe('{"x":1.50,"s":"caf\\u00e9","usage":{"prompt_tokens":1e1,"extra":{"a":[1,{"b":"}"}]},"cost":2e-7},"y":true}')
    expect(JSON.parse(out)).toEqual(expected(text, 2e-7))
  })

  it('pretty-printed and empty usage objects', () => {
    const pretty = '{\n  "usage": {\n    "input_tokens": 3\n  },\n  "id": "msg_1"\n}'
    expect(splice(pretty)).toBe('{\n  "usage": {\n    "input_tokens": 3,"cost":0.000123\n  },\n  "id": "msg_1"\n}')
    const empty = '{"usage": { } }'
    expect(splice(empty)).toBe('{"usage": {"cost":0.000123 } }')
    expect(JSON.parse(splice(empty))).toEqual(expected(empty, 0.000123))
  })

  it('is not fooled by "usage" inside strings or nested objects', () => {
    const text = '{"choices":[{"message":{"content":"the \\"usage\\": {} field","usage":{"nested":1}}}],"meta":{"usage":{"x":1}},"usage":{"total_tokens":9}}'
    const out = splice(text)
    expect(JSON.parse(out)).toEqual(expected(text, 0.000123))
    expect(out.endsWith('"usage":{"total_tokens":9,"cost":0.000123}}')).toBe(true)
  })

  it('strings ending in escaped backslashes or holding escaped quotes end where JSON says', () => {
    const text = '{"a":"ends in a backslash \\\\","b":"a \\"quoted\\" word, then \\\\\\" more","usage":{"total_tokens":3},"c":"\\\\"}'
    expect(JSON.parse(text).b).toBe('a "quoted" word, then \\" more')
    const out = splice(text)
    expect(JSON.parse(out)).toEqual(expected(text, 0.000123))
    expect(out).toContain('"usage":{"total_tokens":3,"cost":0.000123}')
  })

  it('finds the top-level usage from the end of the text, or from the start when the last "usage" is not it', () => {
    // The usual shape: usage last, or followed by top-level fields only.
    const last = '{"id":"a","choices":[{"message":{"content":"x"}}],"usage":{"total_tokens":2},"system_fingerprint":"fp"}'
    expect(splice(last)).toBe(last.replace('"total_tokens":2}', '"total_tokens":2,"cost":0.000123}'))
    const cases = [
      // The last "usage" is a nested key.
      '{"usage":{"total_tokens":1},"choices":[{"usage":{"n":1}}]}',
      // ... a string value, or inside a string (escaped).
      '{"usage":{"total_tokens":1},"finish_reason":"usage"}',
      '{"usage":{"total_tokens":1},"note":"\\"usage\\": {}"}',
      // ... a nested key whose object is the text's last value but one level down.
      '{"usage":{"total_tokens":1},"meta":{"usage":{"x":1}}}',
      // ... a top-level key whose value is not an object (JSON.parse keeps the last: nothing to splice into).
      '{"usage":{"total_tokens":1},"usage":null}',
    ]
    for (const text of cases) {
      const json = JSON.parse(text) as Record<string, unknown>
      if (json.usage === null) {
        expect(() => withUsageCost(text, json, 1)).toThrow()
        continue
      }
      const out = splice(text)
      expect(JSON.parse(out), text).toEqual(expected(text, 0.000123))
      expect(out.startsWith('{"usage":{"total_tokens":1,"cost":0.000123}'), text).toBe(true)
    }
    // Whitespace after the top-level object's end is fine; anything else is not JSON and not matched.
    const trailing = '{"usage":{"total_tokens":4}}\n'
    expect(splice(trailing)).toBe('{"usage":{"total_tokens":4,"cost":0.000123}}\n')
  })

  it('a repeated top-level usage key: the last one, as JSON.parse reads it', () => {
    const text = '{"usage":{"a":1},"usage":{"b":2}}'
    expect(JSON.parse(splice(text))).toEqual(expected(text, 0.000123))
  })

  it('falls back to re-serialising when the text cannot be edited in place', () => {
    // A cost from the upstream is replaced, not duplicated.
    const withCost = '{"usage":{"total_tokens":1,"cost":5}}'
    expect(splice(withCost)).toBe('{"usage":{"total_tokens":1,"cost":0.000123}}')
    // The key spelled with an escape.
    const escaped = '{"us\\u0061ge":{"total_tokens":1}}'
    expect(JSON.parse(splice(escaped))).toEqual(expected(escaped, 0.000123))
  })
})
