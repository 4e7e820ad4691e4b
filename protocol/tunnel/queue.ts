// FIFO queues for received data. Both keep per-item overhead bounded: a peer sending many tiny frames
// must not turn a byte window into millions of objects.

/** A FIFO with amortised O(1) shift. */
export class Queue<T> {
  private items: (T | undefined)[] = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: T): void {
    this.items.push(item)
  }

  peek(): T | undefined {
    return this.items[this.head]
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  /** Replaces the newest item (the queue must not be empty). */
  replaceLast(item: T): void {
    this.items[this.items.length - 1] = item
  }

  drain(): T[] {
    const rest = this.items.slice(this.head) as T[]
    this.items = []
    this.head = 0
    return rest
  }
}

/** Chunks up to this size are copied into a shared block instead of being kept as views. */
const SMALL = 1024
const BLOCK = 4096

/**
 * Byte chunks in arrival order. Large chunks are kept as given (views into received frames); small
 * ones are packed into 4 KiB blocks, which also lets their frames' buffers go.
 */
export class ByteQueue {
  private chunks = new Queue<Uint8Array>()
  private block: Uint8Array | null = null
  private blockUsed = 0
  bytes = 0

  get length(): number {
    return this.chunks.length
  }

  push(chunk: Uint8Array): void {
    const n = chunk.byteLength
    if (n === 0) return
    this.bytes += n
    if (n > SMALL) {
      this.block = null
      this.chunks.push(chunk)
      return
    }
    // While `block` is set, the newest queued chunk is its filled region; extend it in place.
    if (this.block && this.blockUsed + n <= BLOCK) {
      this.block.set(chunk, this.blockUsed)
      this.blockUsed += n
      this.chunks.replaceLast(this.block.subarray(0, this.blockUsed))
      return
    }
    this.block = new Uint8Array(BLOCK)
    this.block.set(chunk)
    this.blockUsed = n
    this.chunks.push(this.block.subarray(0, n))
  }

  shift(): Uint8Array | undefined {
    const c = this.chunks.shift()
    if (c === undefined) return undefined
    if (this.chunks.length === 0) this.block = null
    this.bytes -= c.byteLength
    return c
  }

  /** Drops everything; returns the bytes dropped. */
  clear(): number {
    const n = this.bytes
    this.chunks.drain()
    this.block = null
    this.bytes = 0
    return n
  }

  /** Everything as one array (the queue is emptied). */
  take(): Uint8Array {
    if (this.chunks.length === 1) return this.shift() as Uint8Array
    const out = new Uint8Array(this.bytes)
    let at = 0
    for (let c = this.shift(); c; c = this.shift()) {
      out.set(c, at)
      at += c.byteLength
    }
    return out
  }
}
