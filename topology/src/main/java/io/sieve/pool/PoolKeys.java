package io.sieve.pool;

import java.nio.ByteBuffer;
import org.apache.kafka.common.utils.Bytes;

/**
 * Pool store keys: cluster id then slot, both big-endian, so one cluster's slots are one
 * contiguous, ordered RocksDB range.
 */
public final class PoolKeys {

  private PoolKeys() {}

  public static Bytes of(int clusterId, long slot) {
    return Bytes.wrap(ByteBuffer.allocate(12).putInt(clusterId).putLong(slot).array());
  }

  public static int clusterOf(Bytes key) {
    return ByteBuffer.wrap(key.get()).getInt();
  }

  public static long slotOf(Bytes key) {
    return ByteBuffer.wrap(key.get()).getLong(4);
  }
}
