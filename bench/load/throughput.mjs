// Closed-loop throughput in its own process: N keep-alive connections, each sends its next request as
// soon as the previous answer arrived. wrk when installed (cheaper per request, so more of the 2 cores
// are left to the target), else autocannon. Input JSON in argv[2]; prints one JSON line.
//   { tool: 'wrk' | 'autocannon', url, connections, durationS, body, headers }
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const input = JSON.parse(process.argv[2])

function luaString(text) {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`
}

async function runWrk() {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-bench-'))
  const script = join(dir, 'post.lua')
  const headers = { 'content-type': 'application/json', ...input.headers }
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      `wrk.body = ${luaString(input.body)}`,
      ...Object.entries(headers).map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`),
      // Count non-2xx answers ourselves: wrk's summary only counts >= 400... and across threads it needs a table.
      'local counts = {}',
      'function setup(thread) table.insert(counts, thread) end',
      'function init(args) bad = 0 end',
      'function response(status, headers, body) if status < 200 or status > 299 then bad = bad + 1 end end',
      'function done(summary, latency, requests)',
      '  local non2xx = 0',
      '  for _, thread in ipairs(counts) do non2xx = non2xx + thread:get("bad") end',
      '  local e = summary.errors',
      '  io.write(string.format(\'\\nJSON{"requests":%d,"durationUs":%d,"non2xx":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,"p50":%d,"p90":%d,"p99":%d,"mean":%f}\\n\',',
      '    summary.requests, summary.duration, non2xx, e.connect, e.read, e.write, e.timeout,',
      '    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean))',
      'end',
    ].join('\n'),
  )
  try {
    // One wrk thread: the machine has two cores and the target and the fake need them more.
    const { stdout } = await promisify(execFile)('wrk', ['-t1', `-c${input.connections}`, `-d${input.durationS}s`, '--timeout', '10s', '-s', script, input.url], { maxBuffer: 1 << 20 })
    const json = JSON.parse(/JSON(\{.*\})/.exec(stdout)[1])
    const seconds = json.durationUs / 1e6
    return {
      tool: 'wrk',
      rps: json.requests / seconds,
      requests: json.requests,
      non2xx: json.non2xx,
      errors: json.connectErrors + json.readErrors + json.writeErrors + json.timeouts,
      latencyMs: { p50: json.p50 / 1000, p90: json.p90 / 1000, p99: json.p99 / 1000, mean: json.mean / 1000 },
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runAutocannon() {
  const { default: autocannon } = await import('autocannon')
  const result = await autocannon({
    url: input.url,
    method: 'POST',
    connections: input.connections,
    duration: input.durationS,
    pipelining: 1,
    timeout: 10,
    headers: { 'content-type': 'application/json', ...input.headers },
    body: input.body,
  })
  return {
    tool: 'autocannon',
    rps: result.requests.total / (result.duration || input.durationS),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, mean: result.latency.average },
  }
}

const result = input.tool === 'wrk' ? await runWrk() : await runAutocannon()
console.log(JSON.stringify(result))
