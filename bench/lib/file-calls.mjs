// Parses what bench/filecalls.mjs's bpftrace program prints when it exits: one line per map key,
// `@n[main, tracepoint:syscalls:sys_enter_write]: 15700` (maps n: count, us: microseconds in all,
// over: calls over 200 us). Returns one row per thread kind and call.
export function parseFileCalls(text) {
  const rows = new Map()
  for (const [, map, who, call, value] of text.matchAll(/^@(n|us|over)\[(\w+), tracepoint:syscalls:sys_enter_(\w+)\]: (\d+)$/gm)) {
    const key = `${who} ${call}`
    const row = rows.get(key) ?? { who, call, n: 0, us: 0, over: 0 }
    row[map] = Number(value)
    rows.set(key, row)
  }
  return [...rows.values()].sort((a, b) => a.who.localeCompare(b.who) || b.us - a.us)
}
