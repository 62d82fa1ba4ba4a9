// What an action function and `client.call` return: a Promise of the envelope's `data` that can also give the
// whole answer (`.withResponse()`), as Stainless-generated clients do.

/** A call's `data` with the HTTP answer it came in and how many requests the call sent. */
export interface QzzAnswer<T> {
  /** The envelope's `data`, as awaiting the call gives it. */
  data: T;
  /** The last attempt's answer: status, headers (its body has been read). */
  response: Response;
  /** Requests sent: 1, more after a query's retries or a refresh of rotated credentials. */
  attempts: number;
}

/**
 * A Promise of `data`; `.withResponse()` resolves to `{ data, response, attempts }` instead. The call runs once
 * whichever is awaited. Only the form awaited rejects when the call fails, so a caller who awaits
 * `.withResponse()` alone gets no unhandled rejection of the other.
 */
export class QzzPromise<T> extends Promise<T> {
  readonly #answer: Promise<QzzAnswer<T>>;
  #data: Promise<T> | undefined;

  constructor(answer: Promise<QzzAnswer<T>>) {
    // The base Promise is settled and never read: every method below reads `answer`.
    super((resolve) => resolve(undefined as T));
    this.#answer = answer;
  }

  // `then` and its kin return plain Promises, not QzzPromises (which would need an answer to wrap).
  static override get [Symbol.species]() {
    return Promise;
  }

  /** The envelope's `data` with the HTTP `Response` and the number of requests sent. */
  withResponse(): Promise<QzzAnswer<T>> {
    return this.#answer;
  }

  #dataOnly(): Promise<T> {
    this.#data ??= this.#answer.then((answer) => answer.data);
    return this.#data;
  }

  // The reason is typed as Promise's own methods type it, so code written for a Promise types the same.
  // biome-ignore lint/suspicious/noThenProperty: it is a Promise; awaiting it must read the call's answer.
  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    // biome-ignore lint/suspicious/noExplicitAny: as in Promise's own `then`.
    onRejected?: ((reason: any) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#dataOnly().then(onFulfilled, onRejected);
  }

  // biome-ignore lint/suspicious/noExplicitAny: as in Promise's own `catch`.
  override catch<B = never>(onRejected?: ((reason: any) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.#dataOnly().catch(onRejected);
  }

  override finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#dataOnly().finally(onFinally);
  }
}
