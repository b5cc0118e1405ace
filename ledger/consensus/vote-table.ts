// Where a node keeps the committee's votes on the transactions it holds records of. Each record
// takes a slot; the vote of validator v for it sits in v's row at that slot. Rows, not a small
// array per record: the entries of one observation are transactions seen at about the same
// time, which took slots next to each other, so counting an observation's votes touches a few
// neighbouring cache lines instead of one distant array per entry (in the simulator, a thousand
// nodes' validators count some 170 million votes, and that is where the time went).

/** Slots per chunk (a power of two): slots are handed out, and reused, a chunk at a time. */
const CHUNK_BITS = 6;
const CHUNK_SLOTS = 1 << CHUNK_BITS;
const SLOT_MASK = CHUNK_SLOTS - 1;

/** 32-bit words of one voter's presence bits in a chunk: a bit per slot. */
const CHUNK_WORDS = CHUNK_SLOTS >> 5;

/** One vote of each validator per slot, or none. */
export class VoteTable<T> {
  readonly #voters: number;
  /** Chunk k holds slots k·CHUNK_SLOTS…, row by row: voter v's vote for slot s at v·CHUNK_SLOTS + s mod CHUNK_SLOTS. */
  readonly #chunks: (T | undefined)[][] = [];
  /**
   * Per chunk, whether each voter's vote for each slot is there, voter by voter (CHUNK_WORDS
   * words each): counting one observation's votes asks that of one voter for a run of
   * neighbouring slots, a word or two of bits where the votes themselves are a pointer per slot.
   * A bit is set exactly when the vote under it is not undefined.
   */
  readonly #present: Int32Array[] = [];

  constructor(voters: number) {
    this.#voters = voters;
  }

  has(slot: number, voter: number): boolean {
    const bits = this.#present[slot >> CHUNK_BITS];
    return bits !== undefined && (bits[voter * CHUNK_WORDS + ((slot & SLOT_MASK) >> 5)] & (1 << (slot & 31))) !== 0;
  }

  get(slot: number, voter: number): T | undefined {
    const chunk = this.#chunks[slot >> CHUNK_BITS];
    return chunk === undefined ? undefined : chunk[(voter << CHUNK_BITS) | (slot & SLOT_MASK)];
  }

  set(slot: number, voter: number, vote: T): void {
    const chunk = slot >> CHUNK_BITS;
    while (this.#chunks.length <= chunk) {
      this.#chunks.push(new Array<T | undefined>(this.#voters << CHUNK_BITS).fill(undefined));
      this.#present.push(new Int32Array(this.#voters * CHUNK_WORDS));
    }
    this.#chunks[chunk][(voter << CHUNK_BITS) | (slot & SLOT_MASK)] = vote;
    this.#present[chunk][voter * CHUNK_WORDS + ((slot & SLOT_MASK) >> 5)] |= 1 << (slot & 31);
  }

  /** The votes for a slot, in committee order, in an array of just that length (certificates keep theirs for good). */
  votes(slot: number): T[] {
    let count = 0;
    for (let voter = 0; voter < this.#voters; voter++) if (this.has(slot, voter)) count++;
    const votes = new Array<T>(count);
    for (let voter = 0, at = 0; at < count; voter++) if (this.has(slot, voter)) votes[at++] = this.get(slot, voter)!;
    return votes;
  }

  /** Forgets a slot's votes (and lets go of what they hold). */
  clear(slot: number): void {
    const chunk = this.#chunks[slot >> CHUNK_BITS];
    if (chunk === undefined) return;
    const bits = this.#present[slot >> CHUNK_BITS];
    const [word, bit] = [(slot & SLOT_MASK) >> 5, 1 << (slot & 31)];
    for (let voter = 0; voter < this.#voters; voter++) {
      chunk[(voter << CHUNK_BITS) | (slot & SLOT_MASK)] = undefined;
      bits[voter * CHUNK_WORDS + word] &= ~bit;
    }
  }

  /** Forgets the votes of a whole chunk of slots (one the SlotPool frees). */
  clearChunk(chunk: number): void {
    this.#chunks[chunk]?.fill(undefined);
    this.#present[chunk]?.fill(0);
  }
}

/**
 * Slot numbers for a node's records, handed out in order through a chunk, so records created
 * together have neighbouring slots for as long as they are held. A chunk is reused once every
 * slot in it was given back, its votes cleared in the tables first: a record held long keeps
 * its chunk's other slots from reuse, so at worst a node holds a chunk per such record.
 */
export class SlotPool {
  readonly #tables: readonly VoteTable<unknown>[];
  /** Per chunk: its slots handed out and not yet given back. */
  readonly #held: number[] = [];
  readonly #freeChunks: number[] = [];
  /** The chunk slots are handed out from, and its next slot. */
  #current = -1;
  #next = CHUNK_SLOTS;

  constructor(tables: readonly VoteTable<unknown>[]) {
    this.#tables = tables;
  }

  take(): number {
    if (this.#next === CHUNK_SLOTS) {
      const finished = this.#current;
      this.#current = this.#freeChunks.pop() ?? this.#held.length;
      this.#held[this.#current] = 0;
      this.#next = 0;
      if (finished >= 0 && this.#held[finished] === 0) this.#free(finished);
    }
    this.#held[this.#current]++;
    return (this.#current << CHUNK_BITS) | this.#next++;
  }

  give(slot: number): void {
    const chunk = slot >> CHUNK_BITS;
    if (--this.#held[chunk] === 0 && chunk !== this.#current) this.#free(chunk);
  }

  #free(chunk: number): void {
    for (const table of this.#tables) table.clearChunk(chunk);
    this.#freeChunks.push(chunk);
  }
}

/** Committee indices as bits of 32-bit words: index i is bit i mod 32 of word ⌊i / 32⌋. */
export type VoterSet = readonly number[];

/** Puts a committee index into a set being built. */
export function addVoter(voters: number[], voter: number): void {
  const word = voter >>> 5;
  while (voters.length <= word) voters.push(0);
  voters[word] |= 1 << (voter & 31);
}

/** Whether a set holds a committee index. */
export function hasVoter(voters: VoterSet, voter: number): boolean {
  return ((voters[voter >>> 5] | 0) & (1 << (voter & 31))) !== 0;
}

/** How many indices of `voters` are not in `excluded`. */
export function countVotersOutside(voters: VoterSet, excluded: VoterSet): number {
  let count = 0;
  for (let word = 0; word < voters.length; word++) count += bitCount(voters[word] & ~(excluded[word] | 0));
  return count;
}

function bitCount(word: number): number {
  let bits = word - ((word >>> 1) & 0x5555_5555);
  bits = (bits & 0x3333_3333) + ((bits >>> 2) & 0x3333_3333);
  return (Math.imul((bits + (bits >>> 4)) & 0x0f0f_0f0f, 0x0101_0101) >>> 24);
}
