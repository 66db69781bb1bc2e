package io.sieve.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.BatchExample;
import io.sieve.avro.Centroid;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ServedMark;
import io.sieve.config.Topics;
import io.sieve.registry.InMemorySchemaRegistry;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool's group-value index beside its slots: the pool processor alone in a {@link
 * TopologyTestDriver}, with its real RocksDB stores.
 */
class PoolIndexTest {

  private static final int CAPACITY = 5;

  @TempDir Path stateDir;

  private TopologyTestDriver driver;
  private TestInputTopic<Integer, BatchExample> input;
  private TestInputTopic<String, CentroidModel> models;

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  private void start() {
    PoolDriver pool =
        new PoolDriver(
            stateDir,
            () -> new PoolProcessor(CAPACITY, 42L, Duration.ofSeconds(1), new SieveMetrics()),
            false);
    driver = pool.driver;
    input = pool.input;
    models = pool.models;
  }

  private static BatchExample example(int cluster, int i) {
    return BatchExample.newBuilder()
        .setId("c" + cluster + "-" + i)
        .setClusterId(cluster)
        .setText("text " + i)
        .setLabel("label" + (i % 4))
        .setGroups(Map.of("lang", i % 3 == 0 ? "fr" : "en", "src", "s" + (i % 2)))
        .build();
  }

  /** The index entries the pool's content calls for: (cluster, group, slot) → id. */
  private Map<String, String> expectedIndex() {
    Map<String, String> out = new TreeMap<>();
    KeyValueStore<Bytes, BatchExample> pool = driver.getKeyValueStore(Stores.POOL);
    try (KeyValueIterator<Bytes, BatchExample> it = pool.all()) {
      it.forEachRemaining(
          kv -> {
            for (String g : PoolKeys.indexGroups(kv.value)) {
              out.put(
                  PoolKeys.clusterOf(kv.key) + "/" + g + "/" + PoolKeys.slotOf(kv.key),
                  kv.value.getId());
            }
          });
    }
    return out;
  }

  /** The index store's entries, decoded the same way. */
  private Map<String, String> index() {
    Map<String, String> out = new TreeMap<>();
    KeyValueStore<Bytes, String> index = driver.getKeyValueStore(Stores.POOL_INDEX);
    try (KeyValueIterator<Bytes, String> it = index.all()) {
      it.forEachRemaining(
          kv -> {
            ByteBuffer b = ByteBuffer.wrap(kv.key.get());
            int cluster = b.getInt();
            byte[] group = new byte[b.getInt()];
            b.get(group);
            out.put(
                cluster
                    + "/"
                    + new String(group, java.nio.charset.StandardCharsets.UTF_8)
                    + "/"
                    + b.getLong(),
                kv.value);
          });
    }
    return out;
  }

  private Set<Integer> clustersIn(String store) {
    Set<Integer> out = new TreeSet<>();
    KeyValueStore<Bytes, Object> s = driver.getKeyValueStore(store);
    try (KeyValueIterator<Bytes, Object> it = s.all()) {
      it.forEachRemaining(kv -> out.add(PoolKeys.clusterOf(kv.key)));
    }
    return out;
  }

  @Test
  void shouldKeepTheIndexInStepWithEveryReservoirReplacement() {
    start();
    // Given a pool of 5 slots per cluster
    Set<String> pooledFirst = new TreeSet<>();
    for (int i = 0; i < 80; i++) {
      // When 80 examples arrive for each of two clusters, most replacing a reservoir slot
      input.pipeInput(3, example(3, i));
      input.pipeInput(9, example(9, i));
      // Then after every one the index lists exactly what the slots hold
      assertThat(index()).isEqualTo(expectedIndex());
      if (i == CAPACITY - 1) {
        pooledFirst.addAll(index().values());
      }
    }
    // (the reservoir did replace: the first five of a cluster are no longer all pooled)
    assertThat(new TreeSet<>(index().values())).isNotEqualTo(pooledFirst);
    // 3 entries per example (lang, src, label), 5 slots, 2 clusters
    assertThat(index()).hasSize(3 * CAPACITY * 2);
  }

  @Test
  void shouldDropARetiredClustersIndexAndServedMarks() {
    start();
    // Given clusters 3 and 9 pooled, and a trainer's served marks in both
    for (int i = 0; i < 4; i++) {
      input.pipeInput(3, example(3, i));
      input.pipeInput(9, example(9, i));
    }
    KeyValueStore<Bytes, ServedMark> served = driver.getKeyValueStore(Stores.SERVED);
    for (int cluster : List.of(3, 9)) {
      served.put(
          PoolKeys.served(cluster, "t1", 0),
          ServedMark.newBuilder().setId("c" + cluster + "-0").setGroup("").setCycle(0).build());
    }
    assertThat(clustersIn(Stores.POOL_INDEX)).containsExactly(3, 9);
    // When the model retires cluster 3 and the pool publishes
    models.pipeInput(Topics.MODEL_KEY, model(4, 9));
    driver.advanceWallClockTime(Duration.ofSeconds(2));
    // Then cluster 3's index entries and marks are gone, and cluster 9's are intact
    assertThat(clustersIn(Stores.POOL)).containsExactly(9);
    assertThat(clustersIn(Stores.POOL_INDEX)).containsExactly(9);
    assertThat(clustersIn(Stores.SERVED)).containsExactly(9);
    assertThat(index()).isEqualTo(expectedIndex());
  }

  @Test
  void shouldRebuildAnIndexThatAPoolWrittenBeforeItLacks() {
    // Given the pool task's stores, in memory, with a pool of 12 arrivals but no index entries
    // (a pool written before the index existed)
    MockProcessorContext<Integer, io.sieve.avro.ClusterStats> context =
        new MockProcessorContext<>();
    context.setCurrentSystemTimeMs(1_000L);
    AvroSerdes serdes = new AvroSerdes(new InMemorySchemaRegistry());
    KeyValueStore<Bytes, BatchExample> pool =
        inMemory(context, Stores.POOL, Serdes.Bytes(), serdes.internal(BatchExample.class));
    inMemory(
        context,
        Stores.POOL_STATS,
        Serdes.Integer(),
        serdes.internal(io.sieve.avro.ClusterStats.class));
    KeyValueStore<Bytes, String> index =
        inMemory(context, Stores.POOL_INDEX, Serdes.Bytes(), Serdes.String());
    inMemory(context, Stores.SERVED, Serdes.Bytes(), serdes.internal(ServedMark.class));
    inMemory(
        context, Stores.CENTROIDS, Serdes.String(), serdes.forClass(CentroidModel.class, false));
    PoolProcessor first =
        new PoolProcessor(CAPACITY, 42L, Duration.ofSeconds(1), new SieveMetrics());
    first.init(context);
    for (int i = 0; i < 12; i++) {
      first.process(new Record<>(3, example(3, i), 0L));
    }
    Map<String, String> expected = new TreeMap<>();
    try (KeyValueIterator<Bytes, BatchExample> it = pool.all()) {
      it.forEachRemaining(
          kv -> {
            for (String g : PoolKeys.indexGroups(kv.value)) {
              expected.put(g + "/" + PoolKeys.slotOf(kv.key), kv.value.getId());
            }
          });
    }
    List<Bytes> keys = new ArrayList<>();
    try (KeyValueIterator<Bytes, String> it = index.all()) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    assertThat(keys).hasSize(expected.size());
    keys.forEach(index::delete);
    // When the task starts on those stores
    new PoolProcessor(CAPACITY, 42L, Duration.ofSeconds(1), new SieveMetrics()).init(context);
    // Then the index is rebuilt from the pool
    Map<String, String> rebuilt = new TreeMap<>();
    for (String g : expected.keySet()) {
      String group = g.substring(0, g.lastIndexOf('/'));
      long slot = Long.parseLong(g.substring(g.lastIndexOf('/') + 1));
      String id = index.get(PoolKeys.indexed(3, group, slot));
      if (id != null) {
        rebuilt.put(g, id);
      }
    }
    assertThat(rebuilt).isNotEmpty().isEqualTo(expected);
  }

  private static <K, V> KeyValueStore<K, V> inMemory(
      MockProcessorContext<?, ?> context,
      String name,
      org.apache.kafka.common.serialization.Serde<K> keys,
      org.apache.kafka.common.serialization.Serde<V> values) {
    KeyValueStore<K, V> store =
        org.apache.kafka.streams.state.Stores.keyValueStoreBuilder(
                org.apache.kafka.streams.state.Stores.inMemoryKeyValueStore(name), keys, values)
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
    return store;
  }

  private static CentroidModel model(long version, int... live) {
    List<Centroid> clusters = new ArrayList<>();
    for (int id : live) {
      clusters.add(
          Centroid.newBuilder().setId(id).setWeight(1.0).setCenter(ByteBuffer.allocate(8)).build());
    }
    return CentroidModel.newBuilder()
        .setVersion(version)
        .setDimension(2)
        .setNextClusterId(10)
        .setClusters(clusters)
        .setUpdatedAt(Instant.EPOCH)
        .build();
  }
}
