package io.sieve.pool;

import io.sieve.avro.BatchExample;
import io.sieve.policy.GroupValues;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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

  /**
   * Pool index keys: cluster id, the group value's ({@code attribute=value}) length and UTF-8
   * bytes, then slot, so one value's slots of one cluster are one contiguous range in slot order.
   */
  public static Bytes indexed(int clusterId, String group, long slot) {
    return score(clusterId, group, slot);
  }

  /** The group values {@code attribute=value} the pool index lists the example under. */
  public static List<String> indexGroups(BatchExample example) {
    List<String> out = new ArrayList<>(example.getGroups().size() + 1);
    example.getGroups().forEach((attribute, value) -> out.add(attribute + "=" + value));
    if (example.getLabel() != null) {
      out.add(GroupValues.LABEL + "=" + example.getLabel());
    }
    return out;
  }

  /** Served-store keys: laid out as score keys, one trainer's marks of a cluster in one range. */
  public static Bytes served(int clusterId, String trainerId, long slot) {
    return score(clusterId, trainerId, slot);
  }

  /** The first bytes of every key of a cluster, in any of the pool task's stores. */
  public static Bytes clusterPrefix(int clusterId) {
    return Bytes.wrap(ByteBuffer.allocate(4).putInt(clusterId).array());
  }

  /** The slot of a score, index or served key: its last eight bytes. */
  public static long tailSlotOf(Bytes key) {
    byte[] k = key.get();
    return ByteBuffer.wrap(k).getLong(k.length - 8);
  }

  public static int clusterOf(Bytes key) {
    return ByteBuffer.wrap(key.get()).getInt();
  }

  public static long slotOf(Bytes key) {
    return ByteBuffer.wrap(key.get()).getLong(4);
  }
}
