/**
 * lru-cache bounded by its entry count, without allocating for the bound up front. Given `max`,
 * lru-cache allocates its index arrays for `max` entries when it is built: an idle Gatehouse held
 * 6.4 MB of heap (and 3.6 MB of typed arrays) for empty caches of its default sizes. Bounded through
 * `maxSize`, every entry of size 1, the arrays grow with the entries instead.
 */
import { LRUCache } from 'lru-cache'

const one = () => 1

export type BoundedLruOptions<K extends {}, V extends {}> = Omit<LRUCache.Options<K, V, unknown>, 'max' | 'maxSize' | 'sizeCalculation' | 'maxEntrySize'>

/** At most `maxEntries` entries (≥ 1); the least recently used is evicted (dispose reason `evict`). */
export function boundedLru<K extends {}, V extends {}>(maxEntries: number, options: BoundedLruOptions<K, V> = {}): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...options, maxSize: maxEntries, sizeCalculation: one })
}
