/**
 * Sets of CPU (or NUMA node) ids in the Linux list format: "0-3,8,10-11".
 * Immutable; every operation returns a new set.
 */

export class CPUSetError extends Error {
  override readonly name = 'CPUSetError';
}

/** Larger ids are refused: no machine has them, and a range like "0-999999999" must not allocate. */
const MAX_CPU_ID = 1 << 16;

export class CPUSet implements Iterable<number> {
  static readonly EMPTY = new CPUSet([]);

  /** Sorted, without duplicates. */
  private readonly ids: readonly number[];

  private constructor(sortedUnique: readonly number[]) {
    this.ids = sortedUnique;
  }

  static of(...ids: number[]): CPUSet {
    return CPUSet.from(ids);
  }

  static from(ids: Iterable<number>): CPUSet {
    const list = [...ids];
    for (const id of list) {
      if (!Number.isInteger(id) || id < 0 || id > MAX_CPU_ID) throw new CPUSetError(`invalid cpu id ${id}`);
    }
    list.sort((a, b) => a - b);
    return new CPUSet(list.filter((id, i) => i === 0 || list[i - 1] !== id));
  }

  /** Parses the list format; "" is the empty set. Ranges must run upwards ("3-1" is an error). */
  static parse(text: string): CPUSet {
    if (text === '') return CPUSet.EMPTY;
    const ids: number[] = [];
    for (const part of text.split(',')) {
      const bounds = part.split('-');
      if (bounds.length === 1) {
        ids.push(parseId(bounds[0] ?? '', text));
      } else if (bounds.length === 2) {
        const start = parseId(bounds[0] ?? '', text);
        const end = parseId(bounds[1] ?? '', text);
        if (start > end) throw new CPUSetError(`invalid cpuset "${text}": range ${part} runs downwards`);
        for (let id = start; id <= end; id++) ids.push(id);
      } else {
        throw new CPUSetError(`invalid cpuset "${text}": malformed range "${part}"`);
      }
    }
    return CPUSet.from(ids);
  }

  get size(): number {
    return this.ids.length;
  }

  isEmpty(): boolean {
    return this.ids.length === 0;
  }

  has(id: number): boolean {
    return binarySearch(this.ids, id) >= 0;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.ids[Symbol.iterator]();
  }

  toArray(): number[] {
    return [...this.ids];
  }

  union(...others: CPUSet[]): CPUSet {
    return CPUSet.from([...this.ids, ...others.flatMap((o) => o.ids)]);
  }

  intersection(other: CPUSet): CPUSet {
    return new CPUSet(this.ids.filter((id) => other.has(id)));
  }

  difference(other: CPUSet): CPUSet {
    // Both lists are sorted: one pass over each rather than a search per id.
    const theirs = other.ids;
    const kept: number[] = [];
    let j = 0;
    for (const id of this.ids) {
      while (j < theirs.length && (theirs[j] as number) < id) j++;
      if (theirs[j] !== id) kept.push(id);
    }
    return new CPUSet(kept);
  }

  isSubsetOf(other: CPUSet): boolean {
    return this.ids.every((id) => other.has(id));
  }

  equals(other: CPUSet): boolean {
    return this.ids.length === other.ids.length && this.ids.every((id, i) => other.ids[i] === id);
  }

  filter(predicate: (id: number) => boolean): CPUSet {
    return new CPUSet(this.ids.filter(predicate));
  }

  /** The first n ids in ascending order. */
  take(n: number): CPUSet {
    return new CPUSet(this.ids.slice(0, n));
  }

  /** The canonical list format, ranges merged: "0-3,8,10-11". */
  toString(): string {
    const parts: string[] = [];
    let i = 0;
    while (i < this.ids.length) {
      const start = this.ids[i] as number;
      let end = start;
      while (i + 1 < this.ids.length && this.ids[i + 1] === end + 1) {
        end++;
        i++;
      }
      parts.push(start === end ? `${start}` : `${start}-${end}`);
      i++;
    }
    return parts.join(',');
  }

  toJSON(): string {
    return this.toString();
  }
}

function parseId(text: string, whole: string): number {
  if (!/^\d+$/.test(text)) throw new CPUSetError(`invalid cpuset "${whole}": "${text}" is not a cpu id`);
  const id = Number(text);
  if (id > MAX_CPU_ID) throw new CPUSetError(`invalid cpuset "${whole}": cpu id ${text} is too large`);
  return id;
}

function binarySearch(sorted: readonly number[], id: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] as number;
    if (v === id) return mid;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
