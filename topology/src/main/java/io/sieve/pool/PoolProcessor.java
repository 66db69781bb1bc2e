package io.sieve.pool;

import io.sieve.avro.BatchExample;
import io.sieve.avro.ClusterStats;
import io.sieve.policy.Seeds;
import io.sieve.topology.SieveMetrics;
import io.sieve.topology.Stores;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps each cluster's examples in slots 0..size−1 of the pool store, capped per cluster by
 * reservoir sampling (Vitter's algorithm R): the n-th example of a full cluster replaces a
 * uniformly chosen slot with probability cap/n. The draw is seeded from (cluster, n), so a replay
 * keeps the same examples. Changed statistics are published to the cluster-stats topic every
 * interval.
 */
public final class PoolProcessor
    implements Processor<Integer, BatchExample, Integer, ClusterStats> {

  private final int capacity;
  private final long seed;
  private final Duration publishInterval;
  private final SieveMetrics metrics;
  private ProcessorContext<Integer, ClusterStats> context;
  private KeyValueStore<Bytes, BatchExample> pool;
  private KeyValueStore<Integer, ClusterStats> stats;
  private final TreeSet<Integer> dirty = new TreeSet<>();

  public PoolProcessor(int capacity, long seed, Duration publishInterval, SieveMetrics metrics) {
    this.capacity = capacity;
    this.seed = seed;
    this.publishInterval = publishInterval;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<Integer, ClusterStats> context) {
    this.context = context;
    this.pool = context.getStateStore(Stores.POOL);
    this.stats = context.getStateStore(Stores.POOL_STATS);
    // a task that moved here publishes its figures again: the last owner may not have
    try (KeyValueIterator<Integer, ClusterStats> it = stats.all()) {
      it.forEachRemaining(kv -> dirty.add(kv.key));
    }
    context.schedule(publishInterval, PunctuationType.WALL_CLOCK_TIME, now -> publish());
  }

  @Override
  public void process(Record<Integer, BatchExample> record) {
    int cluster = record.key();
    BatchExample example = record.value();
    ClusterStats s = stats.get(cluster);
    if (s == null) {
      s =
          ClusterStats.newBuilder()
              .setClusterId(cluster)
              .setSize(0)
              .setSeen(0)
              .setGroupCounts(new HashMap<>())
              .setUpdatedAt(Instant.EPOCH)
              .build();
    }
    long seen = s.getSeen() + 1;
    s.setSeen(seen);
    Map<String, Long> groups = new HashMap<>(s.getGroupCounts());
    if (s.getSize() < capacity) {
      pool.put(PoolKeys.of(cluster, s.getSize()), example);
      s.setSize(s.getSize() + 1);
      count(groups, example, 1);
    } else {
      long j = Math.floorMod(Seeds.mix(seed, cluster, seen), seen);
      if (j < capacity) {
        Bytes key = PoolKeys.of(cluster, j);
        BatchExample evicted = pool.get(key);
        if (evicted != null) {
          count(groups, evicted, -1);
        }
        pool.put(key, example);
        count(groups, example, 1);
      }
    }
    s.setGroupCounts(groups);
    s.setUpdatedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()));
    stats.put(cluster, s);
    dirty.add(cluster);
    metrics.pooled();
  }

  private static void count(Map<String, Long> groups, BatchExample example, long delta) {
    example
        .getGroups()
        .forEach(
            (attribute, value) -> {
              String key = attribute + "=" + value;
              long n = groups.getOrDefault(key, 0L) + delta;
              if (n <= 0) {
                groups.remove(key);
              } else {
                groups.put(key, n);
              }
            });
  }

  private void publish() {
    long now = context.currentSystemTimeMs();
    for (Integer cluster : dirty) {
      ClusterStats s = stats.get(cluster);
      if (s != null) {
        context.forward(new Record<>(cluster, s, now));
      }
    }
    dirty.clear();
  }
}
