import type { TextStream } from '../engine/stream-relay.js'

/** What the pump uses of a Node response (`http.ServerResponse`; the HTTP/2 compatibility response has the same surface). */
export interface PumpTarget {
  write(text: string): boolean
  end(text?: string): unknown
  on(event: 'drain', listener: () => void): unknown
  once(event: 'close', listener: () => void): unknown
}

/** Texts the relay has at hand are joined into one write of at most about this many characters. */
export const GATHER_LIMIT = 16 * 1024

/**
 * Write SSE text as it is pulled, at the client's pace (`write` → `drain`). A client that leaves
 * cancels the stream, which keeps reading the upstream to its end so the usage is billed.
 *
 * The first event leaves alone, with the headers, before anything else is read: an upstream that sent
 * a burst of events in one packet does not delay the first token by the translation of the rest.
 * After it, every text the relay has at hand (answered synchronously: events already received) is
 * joined into one write, up to {@link GATHER_LIMIT}: one chunk on the wire rather than one per event.
 *
 * Callbacks rather than an async loop or a promise per text: the pump waits on the upstream most of
 * the time, and an `await` there kept its frame (and the last text written) alive across the wait,
 * long enough to be promoted to the old generation — garbage that adds up over 10,000 streams
 * (bench/README.md). `onText` may run synchronously inside `pull`; the relay loops instead of recursing.
 */
export function pumpText(response: PumpTarget, stream: TextStream): void {
  let gone = false
  let ended = false
  /** A write was buffered past the high-water mark: read on at 'drain'. */
  let awaitingDrain = false
  /** Inside `readOn`'s pull: an answer is gathered, not written. */
  let gathering = false
  let answered = false
  let atEnd = false
  let gathered = ''
  const finish = (text: string) => {
    ended = true
    if (text) response.end(text)
    else response.end()
  }
  const onText = (text: string | undefined): void => {
    if (gone) return
    if (gathering) {
      answered = true
      if (text === undefined) atEnd = true
      else gathered += text
      return
    }
    // The answer to a read that waited for the upstream.
    if (text === undefined) finish('')
    else if (response.write(text)) readOn()
    else awaitingDrain = true
  }
  /** Pull what the relay has at hand and write it as one text; stop where a read waits for the upstream. */
  const readOn = (): void => {
    while (!gone) {
      do {
        answered = false
        gathering = true
        stream.pull(onText)
        gathering = false
      } while (answered && !atEnd && gathered.length < GATHER_LIMIT)
      const text = gathered
      gathered = ''
      if (atEnd) return finish(text)
      if (!answered) {
        // A read waits for the upstream, and `onText` writes its answer (and minds the drain then).
        if (text) response.write(text)
        return
      }
      if (!response.write(text)) {
        awaitingDrain = true
        return
      }
    }
  }
  response.on('drain', () => {
    if (!awaitingDrain || gone) return
    awaitingDrain = false
    readOn()
  })
  response.once('close', () => {
    if (ended) return
    gone = true
    stream.cancel()
  })
  // Node sends the pending headers together with this first write: one packet for the first token.
  // It leaves when this tick ends (Node uncorks the socket on the next tick, queued before this one).
  if (stream.first && !response.write(stream.first)) awaitingDrain = true
  else process.nextTick(readOn)
}
