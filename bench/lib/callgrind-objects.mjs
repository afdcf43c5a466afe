// Instructions per binary of a callgrind dump (instructions.mjs --by-object).
/**
 * Instructions per binary, read from the callgrind file itself: each cost line adds to the binary of
 * the current `ob=` (JIT code has none: "???"), except the line after a `calls=` line, which is the
 * call's inclusive cost (counted where it was spent). (callgrind_annotate 3.19 showed the dumps of
 * `callgrind_control -d` with every caller charged its callees' cost: the totals added up to several
 * times the whole.) Names are compressed: `ob=(id) name` (or `cob=`) once, `ob=(id)` after.
 */
export function objectTotals(text) {
  const names = new Map()
  const totals = {}
  let object = '???'
  let callCost = false
  for (const line of text.split('\n')) {
    const first = line.charCodeAt(0)
    if ((first >= 48 && first <= 57) || first === 43 || first === 45 || first === 42) {
      // A cost line: positions (`positions: line`: one), then the events (`events: Ir`).
      if (callCost) callCost = false
      else {
        const cost = Number(line.split(' ')[1] ?? 0)
        if (cost) totals[object] = (totals[object] ?? 0) + cost
      }
    } else if (line.startsWith('calls=')) callCost = true
    else if (line.startsWith('ob=') || line.startsWith('cob=')) {
      // A name is given once, where its id first appears (an `ob=` or a callee's `cob=`).
      const m = /^c?ob=\((\d+)\)(?: (.*))?$/.exec(line)
      if (!m) continue
      if (m[2] !== undefined) names.set(m[1], m[2].split('/').pop() || '???')
      if (line[0] === 'o') object = names.get(m[1]) ?? '???'
    }
  }
  return totals
}
