// Markdown rendering of a bench report (the JSON written next to it has every raw number).

const MiB = 2 ** 20
const fmt = (x, digits = 2) => (x === undefined || x === null || Number.isNaN(x) ? '–' : Number(x).toFixed(digits))
const int = (x) => (x === undefined || x === null || Number.isNaN(x) ? '–' : Math.round(x).toLocaleString('en-US'))
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '–')
const signed = (x) => (x === undefined || Number.isNaN(x) ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(3)}`)
const mib = (bytes) => (bytes ? `${(bytes / MiB).toFixed(0)} MiB` : '–')
const mark = (ok) =>
  ok === undefined
    ? '– not measured'
    : ok === 'inconclusive'
      ? '⚠ inconclusive'
      : ok === 'met, not every round'
        ? '✅ met (⚠ not in every round)'
        : ok === 'not met, some rounds'
          ? '❌ not met (met in some rounds)'
          : ok
            ? '✅ met'
            : '❌ not met'

const saturated = (l, rate) => l && (l.unfinished > 0 || l.completedRate < 0.95 * rate)

/** Issue-6 goals, judged on ModelMesh full. Each: [goal, measured text, met?, minimal's value]. */
/**
 * Throughput of `a` over `b` round by round (req/s of closed-loop rounds), when both ran the same
 * rounds: round i of every target ran back to back (interleaved), so each ratio pairs measurements
 * taken under the same conditions and the spread shows how far the median ratio can be trusted.
 */
const roundRatios = (a, b) => (a?.rounds?.length > 1 && b?.rounds?.length === a.rounds.length ? a.rounds.map((r, i) => r / b.rounds[i]) : [])

export function goals(report) {
  const rows = []
  const minimal = {}
  const tp = report.throughput?.[100]
  if (tp) {
    const full = tp['mesh-full']?.rps
    const min = tp['mesh-minimal']?.rps
    const ratioByRound = (a, b) => {
      const ratios = roundRatios(a, b)
      return ratios.length ? ` (by round ${ratios.map((x) => x.toFixed(2)).join(', ')})` : ''
    }
    // undefined (not measured) when a side was left out with --targets. The verdict is the median's;
    // when the rounds fall on both sides of the goal, it says so.
    const judged = (a, b, goal) => {
      if (a?.rps === undefined || b?.rps === undefined) return undefined
      const met = a.rps / b.rps >= goal
      const rounds = roundRatios(a, b).map((x) => x >= goal)
      if (met && rounds.includes(false)) return 'met, not every round'
      if (!met && rounds.includes(true)) return 'not met, some rounds'
      return met
    }
    rows.push(['throughput ≥ 3× Portkey at 100 conns', ratio(full, tp.portkey?.rps), judged(tp['mesh-full'], tp.portkey, 3), ratio(min, tp.portkey?.rps)])
    rows.push(['throughput ≥ 0.7× bare proxy at 100 conns', `${ratio(full, tp.bare?.rps)}${ratioByRound(tp['mesh-full'], tp.bare)}`, judged(tp['mesh-full'], tp.bare, 0.7), ratio(min, tp.bare?.rps)])
  }
  const lat = report.latency
  if (lat) {
    const over = overhead(lat, 'mesh-full', 'latencyMs')
    const overMin = overhead(lat, 'mesh-minimal', 'latencyMs')
    const sat = saturated(lat['mesh-full'], report.plan.latRate)
    const note = sat ? ` (saturated: answered ${int(lat['mesh-full'].completedRate)} req/s)` : ''
    const noteMin = saturated(lat['mesh-minimal'], report.plan.latRate) ? ' (saturated)' : ''
    const overBare = overhead(lat, 'bare', 'latencyMs')
    const cpu = (id) => (lat[id]?.cpuUsPerRequest === undefined ? '' : `; CPU ${int(lat[id].cpuUsPerRequest)} µs/req`)
    rows.push([`overhead p50 ≤ 0.5 ms at ${report.plan.latRate} req/s`, `${signed(over.p50)} ms${note}${cpu('mesh-full')}`, !sat && over.p50 <= 0.5, `${signed(overMin.p50)} ms${noteMin}${cpu('mesh-minimal')}`, `${signed(overBare.p50)} ms${cpu('bare')}`])
    // Below zero, the direct fake's own p99 was above full's: the run's tail was noise (VM hiccups), not a measure of full.
    const p99Noise = !sat && over.p99 < 0
    // A p99 not met with rounds still stolen after re-measuring (full's or direct's) is the VM's, not full's.
    const stolen = !sat && !p99Noise && over.p99 > 2 ? stolenRounds(report, lat, ['mesh-full', 'direct']) : []
    const p99Note = p99Noise
      ? ` (the direct fake's own p99, ${fmt(lat.direct.latencyMs.p99, 1)} ms, is above full's: this run's tail is noise)`
      : stolen.length
        ? ` (hypervisor steal above ${report.plan.stealLimitPercent} % in ${stolen.join(', ')} even after measuring again: the VM's p99)`
        : ''
    rows.push([`overhead p99 ≤ 2 ms at ${report.plan.latRate} req/s`, `${signed(over.p99)} ms${note}${p99Note}`, p99Noise || stolen.length ? 'inconclusive' : !sat && over.p99 <= 2, `${signed(overMin.p99)} ms${noteMin}`, `${signed(overBare.p99)} ms`])
  }
  if (report.ttft) {
    const over = overhead(report.ttft, 'mesh-full', 'ttftMs')
    const overMin = overhead(report.ttft, 'mesh-minimal', 'ttftMs')
    const overBare = overhead(report.ttft, 'bare', 'ttftMs')
    // Judged at ttftRate (100 streams/s, as every run since the first); the same at the latency rate
    // (ttftLoaded, since the twenty-first session) follows in each cell: on these VMs every process on
    // the path spends several times the CPU on a request that comes after 10 ms of idle, and wakes
    // from a halted virtual CPU; at 1,000 streams/s much less of either (bench/README).
    const loaded = (id) => (report.ttftLoaded?.[id] ? ` · at ${int(report.plan.ttftLoadedRate)}/s ${signed(overhead(report.ttftLoaded, id, 'ttftMs').p50)} ms` : '')
    rows.push([`streaming first-token overhead ≤ 1 ms (p50 at ${int(report.plan.ttftRate)} streams/s)`, `${signed(over.p50)} ms (p99 ${signed(over.p99)} ms)${loaded('mesh-full')}`, over.p50 <= 1, `${signed(overMin.p50)} ms (p99 ${signed(overMin.p99)} ms)${loaded('mesh-minimal')}`, `${signed(overBare.p50)} ms (p99 ${signed(overBare.p99)} ms)${loaded('bare')}`])
  }
  if (report.streams) {
    const s = report.streams
    const allDone = s.completed === s.streams && s.failed === 0 && s.peakConcurrent >= s.streams
    const bare = report.streamsBare
    rows.push([`${int(s.streams)} concurrent streams, all complete, < 1 GiB RSS`, `${int(s.completed)}/${int(s.streams)} complete, ${int(s.peakConcurrent)} open at once, peak ${mib(s.peakRssBytes)}`, allDone && s.peakRssBytes < 2 ** 30, '–', bare?.peakRssBytes ? `peak ${mib(bare.peakRssBytes)}` : '–'])
  }
  if (report.idleMemory?.['mesh-full']) {
    const rss = report.idleMemory['mesh-full'].rss
    const min = report.idleMemory['mesh-minimal']?.rss
    const bare = report.idleMemory.bare?.rss
    rows.push(['idle RSS ≤ 80 MB (`mesh start`)', `${(rss / 1e6).toFixed(1)} MB`, rss <= 80e6, min ? `${(min / 1e6).toFixed(1)} MB` : '–', bare ? `${(bare / 1e6).toFixed(1)} MB` : '–'])
  }
  return rows
}

/** Percentiles of `id` minus the direct fake's, same percentile (`{}` when either is missing). */
export function overhead(section, id, field) {
  const t = section[id]?.[field]
  const d = section.direct?.[field]
  if (!t || !d) return {}
  return { p50: t.p50 - d.p50, p90: t.p90 - d.p90, p99: t.p99 - d.p99 }
}

/**
 * How an open-loop scenario was split (older runs: one round). `roundWarmupS`: the warm-up before
 * every round after the first (runs before 2026-12-03 10:30 UTC recorded none: min(1, warmupS)).
 */
const roundsText = (rounds, durationS, warmupS, order, roundWarmupS = Math.min(1, warmupS)) =>
  (rounds ?? 1) > 1
    ? `${rounds} interleaved rounds of ${durationS} s per target${order === 'alternating' ? ' (targets in the reverse order every other round)' : ''} (${roundWarmupS === warmupS ? `${warmupS} s of warm-up before each` : `${warmupS} s of warm-up before the first, ${roundWarmupS} s before the others`}), percentiles over all rounds' requests`
    : `${durationS} s after a ${warmupS} s warm-up`

/**
 * The kept rounds of `ids` whose hypervisor steal was above the run's limit (`plan.stealLimitPercent`,
 * recorded since 2026-12-03's fifth session; none for older results), as "full round 2 (4.1 %)".
 */
function stolenRounds(report, scenario, ids) {
  const limit = report.plan.stealLimitPercent
  if (limit === undefined) return []
  const out = []
  for (const id of ids) {
    ;(scenario[id]?.rounds ?? []).forEach((r, i) => {
      if (r.stealPercent > limit) out.push(`${id === 'mesh-full' ? 'full' : id} round ${i + 1} (${fmt(r.stealPercent, 1)} %)`)
    })
  }
  return out
}

/** Rounds measured again for steal (`remeasured`), one line per scenario; nothing when there were none. */
function remeasuredNote(report, scenario, ids, labels, key) {
  // One entry per round, its discarded attempts in order: "round 3 (15.0 %, p99 27.7 ms; 15.9 %, p99 40.9 ms)".
  if (report.plan.stealLimitPercent === undefined) return []
  const attemptsByRound = (remeasured) => {
    const rounds = new Map()
    for (const r of remeasured) rounds.set(r.round, [...(rounds.get(r.round) ?? []), `${fmt(r.stealPercent, 1)} %, p99 ${fmt(key === 'ttftMs' ? r.ttftP99 : r.p99, 1)} ms`])
    return [...rounds].map(([round, attempts]) => `round ${round + 1} (${attempts.join('; ')})`).join(', ')
  }
  const parts = ids.filter((id) => scenario[id]?.remeasured?.length).map((id) => `${labels[id]} ${attemptsByRound(scenario[id].remeasured)}`)
  const rule = `Rounds whose measured seconds had more than ${report.plan.stealLimitPercent} % hypervisor steal are measured again, up to ${report.plan.stealRetries} times (their requests count in the CPU column, not in the percentiles)`
  return [parts.length ? `${rule}; measured again here: ${parts.join('; ')}.` : `${rule}; none was needed in this run.`, '']
}

/** The hypervisor's steal over a target's rounds (% of the VM's cores), then by round; '–' for results from before it was recorded. */
const steal = (l) => (l.stealPercent === undefined ? '–' : `${fmt(l.stealPercent, 1)}${l.rounds?.length > 1 ? ` (${l.rounds.map((r) => fmt(r.stealPercent, 1)).join(' · ')})` : ''}`)
/** Each round's p50 / p99 (older runs: –). */
const byRound = (l, field) => (l.rounds?.length > 1 ? l.rounds.map((r) => `${fmt(r[field]?.p50, 2)} / ${fmt(r[field]?.p99, 1)}`).join(' · ') : '–')

/**
 * ModelMesh's own overhead as it reported it on every answer (`x-mesh-overhead-ms`: body read →
 * answer ready or first event, minus the time the upstream kept the attempts waiting), next to the overhead
 * measured from outside; the difference is time the gateway cannot see itself (the event loop busy
 * before the handler runs or before the upstream's answer is read, sockets, the scheduler).
 */
export function ownOverheadTable(section, labels, field, until) {
  // (`--compare`: the other build's targets too, each after its own.)
  const ids = ['mesh-minimal', 'mesh-minimal@base', 'mesh-full', 'mesh-full@base'].filter((id) => labels[id] && section[id]?.ownOverheadMs)
  if (ids.length === 0) return []
  const out = [
    `ModelMesh's own overhead, as it reports it on each answer (\`x-mesh-overhead-ms\`: body read → ${until}, minus the time the upstream kept the attempts waiting (before 2026-12-03's ninth session: minus the whole attempts); also \`timings.overheadMs\` of its usage events), and what the client measured on top of it:`,
    '',
    '| target | own p50 ms | own p90 ms | own p99 ms | measured overhead p50 | measured − own, p50 |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const id of ids) {
    const own = section[id].ownOverheadMs
    const measured = overhead(section, id, field).p50
    out.push(`| ${labels[id]} | ${fmt(own.p50, 3)} | ${fmt(own.p90, 3)} | ${fmt(own.p99, 3)} | ${signed(measured)} | ${signed(measured - own.p50)} |`)
  }
  out.push('')
  return out
}

/** The open-loop client a report's latency and TTFT were measured with (until 2026-12-03 every run used undici's Pool, no client recorded). */
export const clientOf = (report) => report.openLoopClient ?? 'undici'

/** `--awake-cores` (lib/awake-cores.mjs): the spinners that kept every CPU from halting. */
export function awakeNote(awake) {
  return `Awake cores (\`--awake-cores\`): for this run an idle-priority (\`SCHED_IDLE\`) spinner ran pinned on each of the ${awake.cpus} CPUs, so that no virtual CPU halted between requests: on these VMs the hypervisor takes ~70–100 µs to wake a halted virtual CPU and over 1 ms in 0.5–3 % of wake-ups (\`bench/wakeup.mjs\`), and a request through a proxy makes two such wake-ups more than one sent directly. The spinners take no CPU time any target, the fake or the load generator would use (a woken process preempts them at once), and the per-process CPU figures do not include them. Compare with runs without it only knowing that.`
}

/** `--quiet-machine` (lib/quiet-machine.mjs): what was switched off and paused for the run. */
export function quietNote(quiet) {
  const names = [...new Set(quiet.paused.map((p) => p.name))]
  return `Quiet machine (\`--quiet-machine\`): for this run DAMON was off (${quiet.damon.length} \`kdamond\` thread${quiet.damon.length === 1 ? '' : 's'} switched off) and ${quiet.paused.length} processes of services the bench does not use were paused (${names.join(', ') || 'none found'}); PostgreSQL and Redis ran. Compare with runs without it only knowing that.`
}

const PINNED_NOTE = 'Pinned (`--pin`): the fake upstream and the load generator run on CPU 0, the target alone on CPU 1 (for "direct" the fake answers from CPU 0), so the scheduler does not preempt the target for the harness.'

/** The Node flags of the fake and the load generators (lib/procs.mjs HELPER_NODE_ARGS); not recorded before they had any. */
function helperNote(report) {
  const args = report.helperNodeArgs ?? []
  if (args.length === 0) return report.helperNodeArgs ? ' The fake and the load generators run with Node\'s defaults.' : ''
  return ` The fake and the load generators (not the targets) run with \`${args.join(' ')}\`: their GC stays on their own thread instead of taking the other core in bursts.`
}

/** How the open-loop requests were paced, and how many left alone rather than in a burst (older runs: no figure). */
function pacingNote(report, results) {
  const alone = Object.values(results).map((r) => r?.pacing?.sentAlone).filter((x) => typeof x === 'number')
  const share = alone.length ? ` ${(100 * Math.min(...alone)).toFixed(0)}–${(100 * Math.max(...alone)).toFixed(0)} % of the requests left alone (not in a burst with others).` : ''
  const used = clientOf(report)
  if (used === 'c') return `Pacing and client: the C client of \`load/openloop.c\` sends each request at its due time (epoll_pwait2's nanosecond timeout; evenly spaced) on keep-alive connections, for ~50 µs of CPU a request against ~220 for the Node client of \`load/raw-http.mjs\`, and none of the Node client's delay after a send in the direct fake's figures (bench/README, eighteenth session).${share}`
  const client = used === 'raw' ? ' Client: the lean keep-alive client of `load/raw-http.mjs` (pre-encoded requests; ~half the CPU per request of undici\'s Pool, which shares the cores with the targets).' : " Client: undici's Pool."
  if ((report.pacing ?? 'tick') === 'clock') return `Pacing: a clock thread in the load generator sends each request at its due time (evenly spaced).${share}${client}`
  return `Pacing: the load generator's 1 ms timer, catching up on late ticks (requests leave in small bursts).${share}${client}`
}

export function renderMarkdown(report) {
  const labels = Object.fromEntries(report.targets.map((t) => [t.id, t.label]))
  const ids = report.targets.map((t) => t.id)
  const m = report.machine
  const out = []
  out.push(`# ModelMesh bench — ${report.date.slice(0, 19).replace('T', ' ')} UTC${report.quick ? ' (quick smoke run: indicative only)' : ''}`)
  out.push('')
  out.push(`Machine: ${m.cpus} × ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}, Node ${m.node}, open-file limit ${m.fileLimit}. ` + `Load average at start ${m.loadAverageAtStart.join(' / ')}, at end ${m.loadAverageAtEnd?.join(' / ')}. ` + `Commit \`${report.git.commit?.slice(0, 12)}\`${report.git.dirty ? ' + uncommitted changes in packages/' : ''}. Closed-loop load: ${report.loadTool}. Run took ${fmt(report.durationS / 60, 1)} min.`)
  out.push('')
  out.push(`Every process is on 127.0.0.1: the fake upstream, each target and each load generator run in their own process and share the same 2 cores, so absolute numbers are low and the ratios are what to compare.${helperNote(report)}`)
  out.push('')
  if (report.quietMachine) out.push(quietNote(report.quietMachine), '')
  if (report.awakeCores) out.push(awakeNote(report.awakeCores), '')
  out.push('¹ **ModelMesh full** (`targets/mesh-full.config.ts`): virtual-key auth with a per-key rate limit (key created through the admin API before the run), usage events and the ledger on SQLite (the embedded default store, `synchronous=normal`: a commit survives a crash of the gateway process; `holds: \'process\'`: reservation holds in memory, as for one gateway process per file), prices → cost and credits with sync settlement, retries and timeouts. **ModelMesh minimal** (`targets/mesh-minimal.config.ts`): one target, no auth, no prices, no configured stores (the built-in defaults: usage events go to the in-memory ledger).')
  out.push('')

  out.push('## Issue 6 targets (ModelMesh full)')
  out.push('')
  out.push('| goal | ModelMesh full | status | (ModelMesh minimal, for comparison) | (bare undici proxy, same run) |')
  out.push('| --- | --- | --- | --- | --- |')
  for (const [goal, measured, ok, min, bare = '–'] of goals(report)) out.push(`| ${goal} | ${measured} | ${mark(ok)} | ${min} | ${bare} |`)
  out.push('')

  if (report.throughput) {
    const tp = report.throughput
    out.push(`## Throughput (closed loop, ${report.loadTool}, ${report.plan.tpDurationS} s × ${report.plan.tpRounds} interleaved rounds${report.plan.roundOrder === 'alternating' && report.plan.tpRounds > 1 ? ' (targets in the reverse order every other round)' : ''} after a ${report.plan.tpWarmupS} s warm-up, median)`)
    out.push('')
    out.push('| target | req/s @100 conns | p50 / p99 ms @100 | req/s @1,000 conns | p50 / p99 ms @1,000 | non-2xx + errors |')
    out.push('| --- | ---: | ---: | ---: | ---: | ---: |')
    for (const id of ids) {
      const a = tp[100]?.[id]
      const b = tp[1000]?.[id]
      out.push(`| ${labels[id]} | ${int(a?.rps)} | ${fmt(a?.latencyMs.p50, 1)} / ${fmt(a?.latencyMs.p99, 1)} | ${int(b?.rps)} | ${fmt(b?.latencyMs.p50, 1)} / ${fmt(b?.latencyMs.p99, 1)} | ${int((a?.non2xx ?? 0) + (a?.errors ?? 0) + (b?.non2xx ?? 0) + (b?.errors ?? 0))} |`)
    }
    out.push('')
    const ratiosText = (x, y) => roundRatios(x, y).map((r) => r.toFixed(2)).join(' · ') || '–'
    out.push('| ratio | @100 conns | by round | @1,000 conns | by round |')
    out.push('| --- | ---: | ---: | ---: | ---: |')
    for (const [a, b] of [['mesh-full', 'portkey'], ['mesh-full', 'bare'], ['mesh-minimal', 'portkey'], ['mesh-minimal', 'bare'], ['bare', 'direct'], ['portkey', 'bare']]) {
      if (!labels[a] || !labels[b]) continue // a target left out with --targets
      out.push(`| ${labels[a]} / ${labels[b]} | ${ratio(tp[100]?.[a]?.rps, tp[100]?.[b]?.rps)} | ${ratiosText(tp[100]?.[a], tp[100]?.[b])} | ${ratio(tp[1000]?.[a]?.rps, tp[1000]?.[b]?.rps)} | ${ratiosText(tp[1000]?.[a], tp[1000]?.[b])} |`)
    }
    out.push('')
  }

  if (report.latency) {
    const lat = report.latency
    out.push(`## Overhead latency (open loop at ${report.plan.latRate} req/s, ${roundsText(report.plan.latRounds, report.plan.latDurationS, report.plan.latWarmupS, report.plan.roundOrder, report.plan.latRoundWarmupS)}; overhead = target − direct, same percentile)`)
    if (report.pinned) out.push('', PINNED_NOTE)
    out.push('', pacingNote(report, lat))
    out.push('')
    out.push('| target | p50 ms | p90 ms | p99 ms | overhead p50 | overhead p90 | overhead p99 | p50 / p99 by round ms | answered req/s | errors | CPU µs / request² | event loop waiting for a core, µs / request³ | hypervisor steal, % (by round)⁴ |')
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for (const id of ids) {
      const l = lat[id]
      if (!l) continue
      const o = id === 'direct' ? {} : overhead(lat, id, 'latencyMs')
      out.push(`| ${labels[id]} | ${fmt(l.latencyMs?.p50, 3)} | ${fmt(l.latencyMs?.p90, 3)} | ${fmt(l.latencyMs?.p99, 3)} | ${signed(o.p50)} | ${signed(o.p90)} | ${signed(o.p99)} | ${byRound(l, 'latencyMs')} | ${int(l.completedRate ?? l.achievedRate)}${saturated(l, report.plan.latRate) ? ' ⚠ saturated' : ''} | ${int(l.errors + l.non2xx + (l.unfinished ?? 0))} | ${l.cpuUsPerRequest === undefined ? '–' : int(l.cpuUsPerRequest)} | ${l.runQueueWaitUsPerRequest === undefined ? '–' : int(l.runQueueWaitUsPerRequest)} | ${steal(l)} |`)
    }
    out.push('')
    out.push(`⚠ saturated: the target answered fewer than 95 % of the offered ${report.plan.latRate} req/s, so requests queued and its percentiles measure the queue, not the overhead.`)
    out.push('')
    out.push(`² CPU time (user + system, /proc/PID/stat) the target's own process used per request over this open-loop run, warm-up included; for "direct" it is the fake upstream's. It does not depend on how the two shared cores are split between processes, so it is the steadier measure of what each gateway costs.`)
    out.push('')
    out.push(`³ Time the target's main thread (its event loop; for "direct", the fake's) was runnable but waiting for a core, per request over the same run (/proc/PID/task/PID/schedstat): latency the machine's scheduler added while the load generator, the fake and the target's own threads shared the cores — not work the target did.`)
    out.push('')
    out.push(`⁴ CPU time the hypervisor took from this VM while the target's rounds ran (/proc/stat \`steal\`; over the kept rounds' measured seconds where a steal limit is given below, else over the whole rounds with their warm-ups), as a share of all its cores. A stolen core runs nothing, so every process on it — the fake and the load generator too — answers or wakes late without any of them seeing it in its own accounting; a round with high steal has a p99 of the VM, not of the target.`)
    out.push('')
    out.push(...remeasuredNote(report, lat, ids, labels, 'latencyMs'))
    if (ids.some((id) => lat[id] && 'slow' in lat[id])) {
      // Since 2026-12-03 (third session): where the p99 comes from, by how the slow answers cluster.
      out.push('Slow answers (> 5 ms), grouped into stretches (slow answers at most 30 answers apart; answers in the order they came, ~1 ms apart): a few long stretches at a steady spacing are pauses of the target (a garbage collection), many short ones its queue catching up after it lost a core.')
      out.push('')
      out.push('| target | answers > 5 ms | stretches | median / largest stretch, answers | worst ms | one stretch every ~ answers |')
      out.push('| --- | ---: | ---: | ---: | ---: | ---: |')
      for (const id of ids) {
        if (!lat[id] || !('slow' in lat[id])) continue
        const s = lat[id].slow
        out.push(s ? `| ${labels[id]} | ${int(s.slow)} | ${s.stretches} | ${s.medianSize} / ${s.largestSize} | ${fmt(s.largestMs, 1)} | ${s.medianSpacing ?? '–'} |` : `| ${labels[id]} | 0 | 0 | – | – | – |`)
      }
      out.push('')
    }
    out.push(...ownOverheadTable(lat, labels, 'latencyMs', 'answer ready'))
    const overheadRatio = (a, b, q) => {
      if (saturated(lat[a], report.plan.latRate) || saturated(lat[b], report.plan.latRate)) return '– (saturated)'
      const x = overhead(lat, a, 'latencyMs')[q]
      const y = overhead(lat, b, 'latencyMs')[q]
      return x > 0 && y > 0 ? `${(x / y).toFixed(2)}×` : '–'
    }
    out.push('| overhead ratio | p50 | p99 |')
    out.push('| --- | ---: | ---: |')
    for (const [a, b] of [['mesh-full', 'portkey'], ['mesh-full', 'bare'], ['mesh-minimal', 'bare']]) if (labels[a] && labels[b]) out.push(`| ${labels[a]} / ${labels[b]} | ${overheadRatio(a, b, 'p50')} | ${overheadRatio(a, b, 'p99')} |`)
    out.push('')
  }

  for (const [tt, rate, note] of [
    [report.ttft, report.plan.ttftRate, ''],
    [report.ttftLoaded, report.plan.ttftLoadedRate, ' — the same at the latency scenario\'s rate: the goal is judged at the rate above; here the processes on the path seldom sit idle between requests, and a request after idle costs several times the CPU on this kind of VM (bench/README, twenty-first session)'],
  ]) {
    if (!tt) continue
    out.push(`## Streaming time to first token (open loop, ${rate} streams/s, ${roundsText(report.plan.ttftRounds, report.plan.ttftDurationS, report.plan.ttftWarmupS, report.plan.roundOrder)}; first SSE event as seen by the client${note})`)
    if (report.pinned) out.push('', PINNED_NOTE)
    out.push('', pacingNote(report, tt))
    out.push('')
    out.push('| target | TTFT p50 ms | p90 ms | p99 ms | overhead p50 | overhead p99 | p50 / p99 by round ms | streams | errors | hypervisor steal, % (by round)⁴ |')
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for (const id of ids) {
      const l = tt[id]
      if (!l) continue
      const o = id === 'direct' ? {} : overhead(tt, id, 'ttftMs')
      out.push(`| ${labels[id]} | ${fmt(l.ttftMs?.p50, 3)} | ${fmt(l.ttftMs?.p90, 3)} | ${fmt(l.ttftMs?.p99, 3)} | ${signed(o.p50)} | ${signed(o.p99)} | ${byRound(l, 'ttftMs')} | ${int(l.ttftMs?.count)} | ${int(l.errors + l.non2xx)} | ${steal(l)} |`)
    }
    out.push('')
    out.push(...remeasuredNote(report, tt, ids, labels, 'ttftMs'))
    out.push(...ownOverheadTable(tt, labels, 'ttftMs', 'first event ready'))
  }

  if (report.streams) {
    const s = report.streams
    out.push(`## ${int(s.streams)} concurrent SSE streams held by one gateway process`)
    out.push('')
    out.push('| gateway | streams | completed | failed | peak open at once | stream length | RSS before | peak RSS (VmHWM) | per stream | wall time |')
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for (const x of [s, report.streamsBare].filter(Boolean)) {
      const perStream = x.peakRssBytes && x.streams ? `${((x.peakRssBytes - x.rssBeforeBytes) / x.streams / 1024).toFixed(0)} KiB` : '–'
      out.push(`| ${x.gateway ?? 'ModelMesh'} | ${int(x.streams)} | ${int(x.completed)} | ${int(x.failed)} | ${int(x.peakConcurrent)} | ~${fmt(x.streamSeconds, 0)} s | ${mib(x.rssBeforeBytes)} | ${mib(x.peakRssBytes)} | ${perStream} | ${fmt(x.wallSeconds, 1)} s |`)
    }
    out.push('')
    out.push(`Transport: ${s.transport}. HTTP/2 on the client side because the open-file hard limit (${m.fileLimit}) cannot hold 10,000 client sockets plus 10,000 upstream sockets in one process.${s.firstError ? ` First error: \`${s.firstError}\`.` : ''}`)
    out.push('')
  }

  if (report.instructions?.perRequest) {
    const n = report.instructions.perRequest
    out.push(`## Work per lone request (instructions on the event loop, callgrind: ${int(report.instructions.requests)} requests one at a time after ${report.instructions.warmup})`)
    out.push('')
    out.push('| target | instructions per request | / bare undici proxy |')
    out.push('| --- | ---: | ---: |')
    for (const id of ['bare', 'mesh-minimal', 'mesh-full']) if (n[id] !== undefined) out.push(`| ${labels[id] ?? id} | ${int(n[id])} | ${ratio(n[id], n.bare)} |`)
    out.push('')
    out.push("Counted, not timed: the same build and inputs give the same count (±1–2 % from JIT tiering) whatever else the VM is doing, so this is the steady measure of what each target's own code costs per request; the latency scenarios show what this machine's scheduling made of it. A lone request shares nothing: full's ledger commit is one transaction per request here (after the answer has left: the debit is journaled first, docs/stores.md).")
    out.push('')
  } else if (report.instructions?.skipped) {
    out.push(`Instructions per request: not measured (${report.instructions.skipped}).`)
    out.push('')
  }

  if (report.routing) {
    out.push('## Routing decision time (the engine\'s per-request plan: full ordered failover list for one public model; in process, no HTTP)')
    out.push('')
    out.push('| deployments in the pool | selection | mean µs | p99 µs |')
    out.push('| ---: | --- | ---: | ---: |')
    for (const r of report.routing) out.push(`| ${int(r.deployments)} | ${r.selection} | ${fmt(r.meanUs, 2)} | ${fmt(r.p99Us, 2)} |`)
    out.push('')
  }

  out.push('## Cold start and memory')
  out.push('')
  out.push('| target | cold start → first 200 (median ms) | idle RSS after start | peak RSS over the load scenarios |')
  out.push('| --- | ---: | ---: | ---: |')
  for (const id of ids) {
    const c = report.coldStart?.[id]
    out.push(`| ${labels[id]} | ${c ? `${int(c.medianMs)} (min ${int(c.minMs)}, max ${int(c.maxMs)})` : '–'} | ${mib(report.idleMemory?.[id]?.rss)} | ${mib(report.peakMemory?.[id]?.hwm)} |`)
  }
  out.push('')
  out.push('ModelMesh targets run `mesh start --config bench/targets/<config>.ts` (the config goes through jiti). Cold start = spawn of the process until the first chat completion answered 200. Idle RSS = VmRSS one second after the verification requests.')
  out.push('')
  return out.join('\n')
}
