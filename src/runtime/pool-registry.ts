/**
 * Function pools shared across served models (issue 30): a function file that several models use — a fleet's
 * shared prefix, the same bytes under the same limits and host configuration — is served by one FunctionPool, so
 * its warm instances, keep-alive, cold starts and queue serve every model that holds it. The registry hands out
 * pools by key and closes a pool when the last model holding it lets go.
 */
import type { FunctionPool } from './pool.js';

interface Held { pool: FunctionPool; holders: Set<string> }

export class PoolRegistry {
  private readonly byKey = new Map<string, Held>();

  /**
   * The pool for `key`, made by `make` when none is held yet (the first holder's events and keep-alive policy
   * then apply to it: its instances start, and are counted, once).
   */
  acquire(key: string, holder: string, make: () => FunctionPool): FunctionPool {
    let held = this.byKey.get(key);
    if (!held) this.byKey.set(key, (held = { pool: make(), holders: new Set() }));
    held.holders.add(holder);
    return held.pool;
  }

  /** The models holding `pool`, in the order they first took it (one name: not shared). */
  holders(pool: FunctionPool): string[] {
    for (const h of this.byKey.values()) if (h.pool === pool) return [...h.holders];
    return [];
  }

  /** `holder` lets go of every pool it holds; the pools nobody holds any more are closed. */
  async release(holder: string): Promise<void> {
    const closing: Array<Promise<void>> = [];
    for (const [key, h] of this.byKey) {
      if (!h.holders.delete(holder) || h.holders.size > 0) continue;
      this.byKey.delete(key);
      closing.push(h.pool.close());
    }
    await Promise.all(closing);
  }
}

/**
 * What makes two functions' instances interchangeable: the file's content (its sha256, or its path where a plain
 * ONNX file has none), the tensor names it reads and writes, the limits and the host configuration.
 */
export function poolKey(parts: { sha256: string; file: string; [k: string]: unknown }): string {
  const { sha256, file, ...rest } = parts;
  return JSON.stringify([sha256 || file, Object.entries(rest).sort(([a], [b]) => a.localeCompare(b))]);
}
