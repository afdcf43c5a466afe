import { ConfigError } from '@modelmesh/core'

/** A deep JSON copy of factory options, for the descriptor (undefined values dropped). */
export function descriptorOptions(options: object | undefined): Record<string, unknown> {
  return options ? (JSON.parse(JSON.stringify(options)) as Record<string, unknown>) : {}
}

/** Checks a base URL early, so a typo fails at start-up with its path rather than at the first call. */
export function checkBaseURL(value: unknown, factory: string, path = 'baseURL'): string {
  let url: URL | undefined
  try {
    url = new URL(String(value))
  } catch {
    url = undefined
  }
  if (typeof value !== 'string' || !url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError([{ path: `${factory}().${path}`, expected: 'an http(s) URL such as https://generativelanguage.googleapis.com/v1beta', found: JSON.stringify(value) }])
  }
  return value.replace(/\/+$/, '')
}
