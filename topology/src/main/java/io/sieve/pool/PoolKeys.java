package io.sieve.pool;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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

  /**
   * Score store keys: cluster id, the trainer id's length and UTF-8 bytes, then slot (all
   * big-endian), so one trainer's scores of one cluster are one contiguous range in slot order.
   */
  public static Bytes score(int clusterId, String trainerId, long slot) {
    byte[] trainer = trainerId.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(
        ByteBuffer.allocate(4 + 4 + trainer.length + 8)
            .putInt(clusterId)
            .putInt(trainer.length)
            .put(trainer)
            .putLong(slot)
            .array());
  }

  public static int clusterOf(Bytes key) {
    return ByteBuffer.wrap(key.get()).getInt();
  }

  public static long slotOf(Bytes key) {
    return ByteBuffer.wrap(key.get()).getLong(4);
  }
}
