import { afterEach, describe, expect, it, vi } from 'vitest'
import { TextRelay, type RelayOutcome, type RelayProgress } from '../../src/engine/stream-relay.js'
import type { PullSink, PullSource } from '../../src/upstream/pull-source.js'

/** Upstream items pushed by the test; `next()` waits until one is pushed (or forever). */
function upstream() {
  const queue: Array<IteratorResult<string>> = []
  let waiting: ((step: IteratorResult<string>) => void) | undefined
  const items: AsyncIterator<string> = {
    next: () => {
      const step = queue.shift()
      return step ? Promise.resolve(step) : new Promise((resolve) => (waiting = resolve))
    },
  }
  const push = (step: IteratorResult<string>) => {
    const w = waiting
    waiting = undefined
    if (w) w(step)
    else queue.push(step)
  }
  return { items, send: (value: string) => push({ value, done: false }), end: () => push({ value: undefined, done: true }) }
}

function relayOf(idleTimeoutMs = 1000) {
  const source = upstream()
  const progress: RelayProgress = { done: false }
  const aborted: string[] = []
  const outcomes: RelayOutcome[] = []
  const relay = new TextRelay<string>({
    items: source.items,
    translate: (item) => {
      if (item === '[DONE]') progress.done = true
      if (item === 'usage') progress.usage = { inputTokens: 1, outputTokens: 2 } as RelayProgress['usage']
      return item === 'usage' ? null : `data: ${item}\n\n`
    },
    progress,
    first: 'data: first\n\n',
    errorEvent: (error) => `error: ${error.message}\n\n`,
    idleTimeoutMs,
    abortUpstream: (reason) => aborted.push(reason),
    onEnd: (outcome) => outcomes.push(outcome),
  })
  return { relay, source, aborted, outcomes }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('TextRelay', () => {
  it('relays items in order, skips empty translations and ends after the final event', async () => {
    const { relay, source, outcomes } = relayOf()
    source.send('a')
    source.send('usage')
    source.send('[DONE]')
    source.end()
    expect(relay.first).toBe('data: first\n\n')
    expect(await relay.next()).toBe('data: a\n\n')
    expect(await relay.next()).toBe('data: [DONE]\n\n')
    expect(await relay.next()).toBeUndefined()
    expect(await relay.next()).toBeUndefined()
    expect(outcomes).toEqual([{ usage: { inputTokens: 1, outputTokens: 2 }, clientDisconnected: false }])
  })

  it('ends with an in-band error when the upstream ends before its final event', async () => {
    const { relay, source, outcomes } = relayOf()
    source.end()
    expect(await relay.next()).toBe('error: upstream ended the stream before its final event\n\n')
    expect(await relay.next()).toBeUndefined()
    expect(outcomes[0]?.error).toBe('upstream ended the stream before its final event')
  })

  it('fires the idle timeout while a read waits, aborts the upstream and ignores the late item', async () => {
    vi.useFakeTimers()
    const { relay, source, aborted, outcomes } = relayOf(1000)
    const pending = relay.next()
    await vi.advanceTimersByTimeAsync(999)
    expect(aborted).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(await pending).toBe('error: upstream sent nothing for 1000 ms\n\n')
    expect(aborted).toEqual(['idle timeout'])
    expect(outcomes).toHaveLength(1)
    source.send('late')
    expect(await relay.next()).toBeUndefined()
    expect(outcomes).toHaveLength(1)
  })

  it('re-arms the idle timer for every read, and does not count time the client takes', async () => {
    vi.useFakeTimers()
    const { relay, source, aborted } = relayOf(1000)
    for (const item of ['a', 'b', 'c']) {
      const pending = relay.next()
      await vi.advanceTimersByTimeAsync(800)
      source.send(item)
      expect(await pending).toBe(`data: ${item}\n\n`)
    }
    // A slow client: no read in flight for longer than the idle timeout.
    await vi.advanceTimersByTimeAsync(5000)
    const pending = relay.next()
    await vi.advanceTimersByTimeAsync(900)
    source.send('[DONE]')
    expect(await pending).toBe('data: [DONE]\n\n')
    expect(aborted).toEqual([])
    // And it still fires on the next wait.
    const stalled = relay.next()
    await vi.advanceTimersByTimeAsync(1000)
    expect(await stalled).toBe('error: upstream sent nothing for 1000 ms\n\n')
  })

  it('keeps reading after the client leaves, so the usage is billed', async () => {
    const { relay, source, outcomes } = relayOf()
    const pending = relay.next()
    relay.cancel()
    expect(await pending).toBeUndefined()
    expect(await relay.next()).toBeUndefined()
    source.send('a')
    source.send('usage')
    expect(outcomes).toEqual([])
    source.send('[DONE]')
    source.end()
    await vi.waitFor(() => expect(outcomes).toHaveLength(1))
    expect(outcomes[0]).toEqual({ usage: { inputTokens: 1, outputTokens: 2 }, clientDisconnected: true })
  })

  it('drains from the start when the client leaves before pulling', async () => {
    const { relay, source, outcomes } = relayOf()
    relay.cancel()
    source.send('usage')
    source.send('[DONE]')
    source.end()
    await vi.waitFor(() => expect(outcomes).toHaveLength(1))
    expect(outcomes[0]?.clientDisconnected).toBe(true)
  })

  it('turns a broken upstream into an in-band error event', async () => {
    const progress: RelayProgress = { done: false }
    const outcomes: RelayOutcome[] = []
    const relay = new TextRelay<string>({
      items: { next: () => Promise.reject(new Error('socket hang up')) },
      translate: (item) => item,
      progress,
      first: null,
      errorEvent: (error) => `error: ${error.message}`,
      idleTimeoutMs: 1000,
      abortUpstream: () => {},
      onEnd: (outcome) => outcomes.push(outcome),
    })
    expect(await relay.next()).toBe('error: upstream stream broke: socket hang up')
    expect(outcomes[0]?.error).toBe('upstream stream broke: socket hang up')
  })

  describe('reading a pull source', () => {
    /** A pull source answering synchronously from `buffered`, else when `send` is called. */
    function pullSource(buffered: string[]) {
      let waiting: PullSink<string> | undefined
      let ended = false
      const source: PullSource<string> = {
        next: () => Promise.reject(new Error('the relay should pull')),
        pull: (sink) => {
          const value = buffered.shift()
          if (value !== undefined) sink.item(value)
          else if (ended) sink.end()
          else waiting = sink
        },
      }
      const take = () => {
        const sink = waiting!
        waiting = undefined
        return sink
      }
      return { source, send: (value: string) => take().item(value), end: () => ((ended = true), waiting && take().end()), fail: (error: Error) => take().fail(error) }
    }

    function pullRelay(buffered: string[], idleTimeoutMs = 1000) {
      const upstream = pullSource(buffered)
      const progress: RelayProgress = { done: false }
      const outcomes: RelayOutcome[] = []
      const aborted: string[] = []
      const relay = new TextRelay<string>({
        items: upstream.source,
        translate: (item) => {
          if (item === '[DONE]') progress.done = true
          return item === 'ping' ? null : `data: ${item}\n\n`
        },
        progress,
        first: null,
        errorEvent: (error) => `error: ${error.message}\n\n`,
        idleTimeoutMs,
        abortUpstream: (reason) => aborted.push(reason),
        onEnd: (outcome) => outcomes.push(outcome),
      })
      return { relay, upstream, outcomes, aborted }
    }

    it('relays buffered and later items, without recursing through many skipped ones', async () => {
      const { relay, upstream, outcomes } = pullRelay([...Array.from({ length: 20_000 }, () => 'ping'), 'a'])
      expect(await relay.next()).toBe('data: a\n\n')
      const pending = relay.next()
      upstream.send('[DONE]')
      expect(await pending).toBe('data: [DONE]\n\n')
      const last = relay.next()
      upstream.end()
      expect(await last).toBeUndefined()
      expect(outcomes).toEqual([{ usage: undefined, clientDisconnected: false }])
    })

    it('answers pull(callback) synchronously when it can, without recursing through a large backlog', () => {
      const { relay, upstream } = pullRelay([...Array.from({ length: 20_000 }, (_, i) => String(i)), '[DONE]'])
      upstream.end()
      const texts: Array<string | undefined> = []
      // As the Node listener's pump does: pull again from within the callback.
      const onText = (text: string | undefined): void => {
        texts.push(text)
        if (text !== undefined) relay.pull(onText)
      }
      relay.pull(onText)
      expect(texts).toHaveLength(20_002)
      expect(texts.slice(-2)).toEqual(['data: [DONE]\n\n', undefined])
    })

    it('drains a large buffered rest after the client leaves, and bills', async () => {
      const { relay, upstream, outcomes } = pullRelay([...Array.from({ length: 20_000 }, (_, i) => String(i)), '[DONE]'])
      relay.cancel()
      expect(outcomes).toEqual([])
      upstream.end()
      await vi.waitFor(() => expect(outcomes).toHaveLength(1))
      expect(outcomes[0]?.clientDisconnected).toBe(true)
    })

    it('fires the idle timeout while a pull waits, and turns a failure into an error event', async () => {
      vi.useFakeTimers()
      const { relay, aborted } = pullRelay([], 1000)
      const pending = relay.next()
      await vi.advanceTimersByTimeAsync(1000)
      expect(await pending).toBe('error: upstream sent nothing for 1000 ms\n\n')
      expect(aborted).toEqual(['idle timeout'])
      vi.useRealTimers()
      const broken = pullRelay([])
      const next = broken.relay.next()
      broken.upstream.fail(new Error('socket hang up'))
      expect(await next).toBe('error: upstream stream broke: socket hang up\n\n')
    })
  })
})
