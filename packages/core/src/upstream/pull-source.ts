/** Receives what a {@link PullSource} produces: exactly one call per `pull`. */
export interface PullSink<T> {
  item(value: T): void
  end(): void
  fail(error: unknown): void
}

/**
 * An async iterator that can also hand its next item to a callback. A streamed answer waits for its
 * upstream most of the time; promises chained through every layer (body → SSE parser → relay) for
 * each wait outlived the young generation and became old-generation garbage, so the relay pulls the
 * passthrough stream this way, with one sink per layer made once per stream. `next()` stays for
 * everyone else (`for await`).
 *
 * The sink may be called synchronously from within `pull`, or later from an event.
 */
export interface PullSource<T> extends AsyncIterator<T> {
  pull(sink: PullSink<T>): void
}

export function isPullSource<T>(iterator: AsyncIterator<T>): iterator is PullSource<T> {
  return typeof (iterator as Partial<PullSource<T>>).pull === 'function'
}

/** `next()` in terms of `pull()`, for the iterators that implement `pull`. */
export function nextFromPull<T>(source: PullSource<T>): Promise<IteratorResult<T>> {
  return new Promise<IteratorResult<T>>((resolve, reject) =>
    source.pull({ item: (value) => resolve({ value, done: false }), end: () => resolve({ value: undefined, done: true }), fail: reject }),
  )
}

/** A {@link PullSource} that is its own async iterable: `next()` (and `for await`) in terms of its `pull()`. */
export abstract class PullIterator<T> implements PullSource<T>, AsyncIterableIterator<T> {
  abstract pull(sink: PullSink<T>): void

  [Symbol.asyncIterator](): this {
    return this
  }

  next(): Promise<IteratorResult<T>> {
    return nextFromPull(this)
  }
}
