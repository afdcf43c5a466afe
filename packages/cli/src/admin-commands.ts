import { adminClient, AdminError, type AdminClientOptions } from './admin-client.js'

export interface AdminCommandOptions extends AdminClientOptions {
  log?: (line: string) => void
  error?: (line: string) => void
}

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined)
const int = (v: string | undefined) => (v === undefined ? undefined : Number.parseInt(v, 10))
/** `--before`: epoch milliseconds or an ISO 8601 date; anything else is the gateway's to refuse. */
const epochMs = (v: string): number | string => (/^\d+$/.test(v) ? Number(v) : Number.isNaN(Date.parse(v)) ? v : Date.parse(v))

/**
 * `mesh keys create|list|rotate|revoke`, `mesh credits grant`, `mesh usage`, `mesh usage prune`: each maps to one admin
 * API call and prints its JSON. Returns the exit code.
 */
export async function adminCommand(args: string[], flags: Record<string, string | undefined>, options: AdminCommandOptions = {}): Promise<number> {
  const log = options.log ?? console.log
  const error = options.error ?? console.error
  const call = adminClient(options)
  const [group, action, target] = args
  const print = (value: unknown) => log(JSON.stringify(value, null, 2))
  try {
    if (group === 'keys' && action === 'create') {
      if (!flags.account) throw new AdminError(0, 'keys create needs --account <id>')
      const created = (await call('POST', '/keys', {
        accountId: flags.account,
        ...(flags.project ? { projectId: flags.project } : {}),
        ...(flags.name ? { name: flags.name } : {}),
        ...(list(flags.models) ? { models: list(flags.models) } : {}),
        ...(list(flags.scopes) ? { scopes: list(flags.scopes) } : {}),
        ...(int(flags.rpm) ? { rpm: int(flags.rpm) } : {}),
        ...(int(flags.tpm) ? { tpm: int(flags.tpm) } : {}),
        ...(flags['expires-in'] ? { expiresIn: flags['expires-in'] } : {}),
        ...(flags['daily-cap'] || flags['monthly-cap'] ? { spendCap: { ...(flags['daily-cap'] ? { daily: Number(flags['daily-cap']) } : {}), ...(flags['monthly-cap'] ? { monthly: Number(flags['monthly-cap']) } : {}) } } : {}),
        ...(flags.test ? { mode: 'test' } : {}),
      })) as { key: string }
      print(created)
      error('The key above is shown once; store it now.')
      return 0
    }
    if (group === 'keys' && action === 'list') return print(await call('GET', `/keys${flags.account ? `?accountId=${encodeURIComponent(flags.account)}` : ''}`)), 0
    if (group === 'keys' && (action === 'rotate' || action === 'revoke') && target) {
      print(await call('POST', `/keys/${encodeURIComponent(target)}/${action}`, action === 'rotate' ? { gracePeriod: flags.grace ?? '24h' } : {}))
      return 0
    }
    if (group === 'accounts' && action === 'create') return print(await call('POST', '/accounts', { ...(target ? { id: target } : {}), ...(flags.name ? { name: flags.name } : {}) })), 0
    if (group === 'credits' && action === 'grant') {
      if (!flags.account || !flags.amount) throw new AdminError(0, 'credits grant needs --account <id> --amount <usd>')
      print(await call('POST', '/credits/grant', { accountId: flags.account, amountUsd: Number(flags.amount), ...(flags.note ? { note: flags.note } : {}) }))
      return 0
    }
    if (group === 'usage' && action === 'prune') {
      const { 'older-than': olderThan, before } = flags
      if ((olderThan === undefined) === (before === undefined)) throw new AdminError(0, 'usage prune needs --older-than <duration> (e.g. 30d) or --before <epoch ms | ISO date>')
      print(await call('POST', '/usage/prune', olderThan !== undefined ? { olderThan } : { before: epochMs(before!) }))
      return 0
    }
    if (group === 'usage' && action === undefined) {
      const q = new URLSearchParams()
      for (const [flag, param] of [['account', 'accountId'], ['key', 'keyId'], ['limit', 'limit']] as const) if (flags[flag]) q.set(param, flags[flag]!)
      print(await call('GET', `/usage${q.size ? `?${q}` : ''}`))
      return 0
    }
    error(`Unknown admin command: ${args.join(' ')}`)
    return 1
  } catch (e) {
    error(e instanceof Error ? e.message : String(e))
    return 1
  }
}
