/** Grow-on-demand float64 scratch arrays, keyed by name (kernels keep intermediates here between forward and backward). */
export interface Scratch {
  get(key: string, size: number): Float64Array;
}

/** A new, empty {@link Scratch}. */
export function createScratch(): Scratch {
  const store = new Map<string, Float64Array>();
  return {
    get(key: string, size: number): Float64Array {
      let a = store.get(key);
      if (!a || a.length < size) {
        a = new Float64Array(Math.max(size, 1));
        store.set(key, a);
      }
      return a;
    },
  };
}
