import { ConfigError } from '../errors/config-error.js'

/** A deep JSON copy of factory options, for a plugin's descriptor (undefined values dropped). */
export function descriptorOptions(options: object | undefined): Record<string, unknown> {
  return options ? (JSON.parse(JSON.stringify(options)) as Record<string, unknown>) : {}
}

/**
 * Check a plugin's base URL when it is created, so a typo fails at start-up with its path rather
 * than at the first call. Returns it without trailing slashes.
 */
export function checkBaseURL(value: unknown, factory: string, path = 'baseURL', example = 'https://api.example.com/v1'): string {
  let url: URL | undefined
  try {
    url = new URL(String(value))
  } catch {
    url = undefined
  }
  if (typeof value !== 'string' || !url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError([{ path: `${factory}().${path}`, expected: `an http(s) URL such as ${example}`, found: JSON.stringify(value) }])
  }
  return value.replace(/\/+$/, '')
}
