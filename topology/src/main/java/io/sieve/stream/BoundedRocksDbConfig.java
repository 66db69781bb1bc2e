package io.sieve.stream;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the off-heap memory of every RocksDB store of the process by one total ({@value
 * #MEMORY_BYTES_CONFIG}): the stores share one LRU block cache of that size, and their memtables
 * are charged to the same cache through one write-buffer manager (at most {@link #MEMTABLE_SHARE}
 * of it). Without it each store, and each segment of the windowed dedup store, has its own block
 * cache and memtables, so RocksDB's memory grows with stores × partitions.
 *
 * <p>Kafka Streams creates one instance per store and calls {@link #close} per store, so the cache
 * and the manager are shared through a count of the stores that use them, one pair per configured
 * total: the last store to close frees them.
 */
public final class BoundedRocksDbConfig implements RocksDBConfigSetter {

  /** The total, in bytes, read from the Kafka Streams configuration. */
  public static final String MEMORY_BYTES_CONFIG = "rocksdb.memory.bytes";

  public static final long MEMORY_BYTES_DEFAULT = 256L * 1024 * 1024;

  /** Share of the total that memtables may take; the rest caches blocks, index and filters. */
  static final double MEMTABLE_SHARE = 0.5;

  /** Memory held by index and filter blocks before data blocks are evicted (high priority). */
  private static final double HIGH_PRIORITY_SHARE = 0.1;

  /** One cache and manager, shared by every store configured with the same total. */
  static final class Shared {
    final long bytes;
    final Cache cache;
    final WriteBufferManager writeBuffers;
    int stores;

    Shared(long bytes) {
      this.bytes = bytes;
      this.cache = new LRUCache(bytes, -1, false, HIGH_PRIORITY_SHARE);
      this.writeBuffers = new WriteBufferManager((long) (bytes * MEMTABLE_SHARE), cache);
    }

    void close() {
      writeBuffers.close();
      cache.close();
    }
  }

  private static final Map<Long, Shared> SHARED = new HashMap<>();

  private Shared shared;

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    long bytes = memoryBytes(configs);
    shared = acquire(bytes);
    BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
    table.setBlockCache(shared.cache);
    table.setCacheIndexAndFilterBlocks(true);
    table.setCacheIndexAndFilterBlocksWithHighPriority(true);
    table.setPinTopLevelIndexAndFilter(true);
    options.setWriteBufferManager(shared.writeBuffers);
    options.setTableFormatConfig(table);
  }

  @Override
  public void close(String storeName, Options options) {
    if (shared != null) {
      release(shared);
      shared = null;
    }
  }

  static long memoryBytes(Map<String, Object> configs) {
    Object v = configs.get(MEMORY_BYTES_CONFIG);
    if (v == null) {
      return MEMORY_BYTES_DEFAULT;
    }
    long bytes = v instanceof Number n ? n.longValue() : Long.parseLong(v.toString().trim());
    if (bytes < 1024 * 1024) {
      throw new IllegalArgumentException(
          MEMORY_BYTES_CONFIG + " must be at least 1 MiB, got " + bytes);
    }
    return bytes;
  }

  private static synchronized Shared acquire(long bytes) {
    Shared s = SHARED.computeIfAbsent(bytes, Shared::new);
    s.stores++;
    return s;
  }

  private static synchronized void release(Shared s) {
    s.stores--;
    if (s.stores == 0) {
      SHARED.remove(s.bytes, s);
      s.close();
    }
  }

  /** Stores now sharing the cache of {@code bytes}, 0 if none (for tests). */
  static synchronized int storesSharing(long bytes) {
    Shared s = SHARED.get(bytes);
    return s == null ? 0 : s.stores;
  }
}
