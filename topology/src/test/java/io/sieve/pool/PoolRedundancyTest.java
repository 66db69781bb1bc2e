package io.sieve.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.BatchExample;
import io.sieve.avro.ClusterStats;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pool processor alone in a {@link TopologyTestDriver}, with its real RocksDB stores. */
class PoolRedundancyTest {

  private static final int DIM = 16;
  private static final int CLUSTER = 7;

  @TempDir Path stateDir;

  private TopologyTestDriver driver;
  private SieveMetrics metrics;
  private TestInputTopic<Integer, BatchExample> input;

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  private void start(int capacity, Redundancy redundancy) {
    metrics = new SieveMetrics();
    PoolDriver pool =
        new PoolDriver(
            stateDir,
            () -> new PoolProcessor(capacity, 42L, Duration.ofSeconds(1), metrics, redundancy),
            true);
    driver = pool.driver;
    input = pool.input;
  }

  /** A unit vector: axis {@code a}, tilted by {@code tilt} towards axis {@code b ≠ a}. */
  private static List<Float> direction(int a, int b, float tilt) {
    float norm = (float) Math.sqrt(1 + tilt * tilt);
    List<Float> out = new ArrayList<>(DIM);
    for (int i = 0; i < DIM; i++) {
      out.add(i == a ? 1f / norm : i == b ? tilt / norm : 0f);
    }
    return out;
  }

  private void pool(String id, List<Float> embedding) {
    pool(id, embedding, null);
  }

  private void pool(String id, List<Float> embedding, String embeddedBy) {
    input.pipeInput(
        CLUSTER,
        BatchExample.newBuilder()
            .setId(id)
            .setClusterId(CLUSTER)
            .setText(id)
            .setEmbedding(embedding)
            .setGroups(Map.of("src", "test"))
            .setEmbeddedBy(embeddedBy)
            .build());
  }

  /** A seeded random unit vector. */
  private static List<Float> random(java.util.Random rng) {
    double[] v = new double[DIM];
    double norm = 0;
    for (int i = 0; i < DIM; i++) {
      v[i] = rng.nextGaussian();
      norm += v[i] * v[i];
    }
    List<Float> out = new ArrayList<>(DIM);
    for (double x : v) {
      out.add((float) (x / Math.sqrt(norm)));
    }
    return out;
  }

  private Set<String> pooledIds() {
    KeyValueStore<Bytes, BatchExample> store = driver.getKeyValueStore(Stores.POOL);
    Set<String> ids = new HashSet<>();
    try (KeyValueIterator<Bytes, BatchExample> it = store.all()) {
      it.forEachRemaining(kv -> ids.add(kv.value.getId()));
    }
    return ids;
  }

  private ClusterStats stats() {
    KeyValueStore<Integer, ClusterStats> store = driver.getKeyValueStore(Stores.POOL_STATS);
    return store.get(CLUSTER);
  }

  @Test
  void shouldDropNearDuplicateOfAPooledExample() {
    // Given a pool that drops near duplicates with ε = 0.01
    start(
        100, new Redundancy(Redundancy.NearPolicy.DROP, 0.01, 256, Redundancy.Eviction.RESERVOIR));
    pool("original", direction(0, 1, 0f));
    pool("other", direction(2, 3, 0f));

    // When a copy at cosine 0.9999 and a distinct example at cosine ≈ 0.98 arrive
    pool("near-copy", direction(0, 1, 0.014f));
    pool("not-so-near", direction(0, 1, 0.2f));

    // Then the copy is counted and dropped, the other kept
    assertThat(pooledIds()).containsExactlyInAnyOrder("original", "other", "not-so-near");
    assertThat(stats().getNearDuplicates()).isEqualTo(1L);
    assertThat(stats().getSize()).isEqualTo(3L);
    assertThat(stats().getSeen()).isEqualTo(3L);
    assertThat(metrics.nearDuplicates()).isEqualTo(1L);
  }

  @Test
  void shouldCatchACopyOfAnExamplePooledLongBeforeTheLastWindow() {
    // Given a window of 8 and an original followed by 300 distinct examples
    start(1000, new Redundancy(Redundancy.NearPolicy.DROP, 0.01, 8, Redundancy.Eviction.RESERVOIR));
    pool("original", direction(0, 1, 0f));
    java.util.Random rng = new java.util.Random(7);
    for (int i = 0; i < 300; i++) {
      pool("d" + i, random(rng));
    }
    long before = stats().getNearDuplicates();

    // When a near copy of the original arrives (cosine 0.9999)
    pool("late-copy", direction(0, 1, 0.014f));

    // Then it is caught, though 300 admissions separate it from its original
    assertThat(stats().getNearDuplicates()).isEqualTo(before + 1);
    assertThat(pooledIds()).contains("original").doesNotContain("late-copy");
  }

  @Test
  void shouldApplyTheEmbeddersEpsilonOnlyToExamplesSieveEmbedded() {
    // Given ε = 0.01 for supplied embeddings and 0.10 for text Sieve embedded
    start(
        100,
        new Redundancy(Redundancy.NearPolicy.DROP, 0.01, 0.10, 256, Redundancy.Eviction.RESERVOIR));
    pool("original", direction(0, 1, 0f), "hashing");

    // When two examples at cosine ≈ 0.95 arrive, one embedded by Sieve, one supplied
    pool("re-crawl", direction(0, 1, 0.33f), "hashing");
    pool("supplied", direction(0, 1, 0.33f), null);

    // Then only the one Sieve embedded is a near duplicate
    assertThat(pooledIds()).containsExactlyInAnyOrder("original", "supplied");
    assertThat(stats().getNearDuplicates()).isEqualTo(1L);
  }

  @Test
  void shouldCountButKeepNearDuplicatesUnderCountPolicy() {
    start(
        100, new Redundancy(Redundancy.NearPolicy.COUNT, 0.01, 256, Redundancy.Eviction.RESERVOIR));
    pool("original", direction(0, 1, 0f));

    pool("near-copy", direction(0, 1, 0.014f));

    assertThat(pooledIds()).containsExactlyInAnyOrder("original", "near-copy");
    assertThat(stats().getNearDuplicates()).isEqualTo(1L);
  }

  @Test
  void shouldNotLookForNearDuplicatesUnderKeepPolicy() {
    start(
        100, new Redundancy(Redundancy.NearPolicy.KEEP, 0.01, 256, Redundancy.Eviction.RESERVOIR));
    pool("original", direction(0, 1, 0f));

    pool("exact-direction-copy", direction(0, 1, 0f));

    assertThat(pooledIds()).containsExactlyInAnyOrder("original", "exact-direction-copy");
    assertThat(stats().getNearDuplicates()).isZero();
  }

  @Test
  void shouldNotCompareWithAnExampleThatReservoirSamplingEvicted() {
    // Given a pool of one slot under reservoir eviction: "first" is pooled
    start(1, new Redundancy(Redundancy.NearPolicy.DROP, 0.01, 256, Redundancy.Eviction.RESERVOIR));
    pool("first", direction(0, 1, 0f));
    // When many distinct examples pass, the reservoir replaces the slot at some point
    for (int i = 0; i < 40; i++) {
      pool("d" + i, direction(2 + i % 14, (3 + i) % DIM, 0.05f * (i / 14)));
    }
    Set<String> now = pooledIds();
    assertThat(now).hasSize(1).doesNotContain("first");

    // Then a copy of the evicted "first" is not a near duplicate of anything pooled
    long before = stats().getNearDuplicates();
    pool("copy-of-first", direction(0, 1, 0.001f));
    assertThat(stats().getNearDuplicates()).isEqualTo(before);
  }

  /** Pools 40 near-copies of one example with 6 distinct examples among them; returns those 6. */
  private List<String> poolCopiesAndDistinct() {
    List<String> distinct = new ArrayList<>();
    int d = 0;
    for (int i = 0; i < 40; i++) {
      pool("copy-" + i, direction(0, 1, 0.001f * i));
      if (i % 6 == 5 && d < 6) {
        String id = "distinct-" + d;
        pool(id, direction(2 + 2 * d, 3 + 2 * d, 0f));
        distinct.add(id);
        d++;
      }
    }
    return distinct;
  }

  @Test
  void shouldKeepDistinctExamplesWhenEvictingTheMostRedundant() {
    // Given a pool of 8 per cluster under redundancy-first eviction, near-duplicate checks off
    start(8, new Redundancy(Redundancy.NearPolicy.KEEP, 0.01, 256, Redundancy.Eviction.REDUNDANCY));

    // When a stream mixes 40 near-copies of one example with 6 distinct examples
    List<String> distinct = poolCopiesAndDistinct();

    // Then every distinct example stays, and the copies hold only the rest of the pool
    Set<String> pooled = pooledIds();
    assertThat(pooled).hasSize(8).containsAll(distinct);
    assertThat(pooled.stream().filter(id -> id.startsWith("copy-")).count()).isEqualTo(2);
    assertThat(stats().getSize()).isEqualTo(8L);
    assertThat(stats().getGroupCounts()).containsEntry("src=test", 8L);
  }

  @Test
  void reservoirEvictionLosesDistinctExamplesOnTheSameStream() {
    // Given the same stream under reservoir eviction (the contrast that makes the test above mean
    // something)
    start(8, new Redundancy(Redundancy.NearPolicy.KEEP, 0.01, 256, Redundancy.Eviction.RESERVOIR));
    List<String> distinct = poolCopiesAndDistinct();

    // Then not every distinct example is still pooled
    Set<String> pooled = pooledIds();
    assertThat(pooled).hasSize(8);
    assertThat(pooled.containsAll(distinct)).isFalse();
  }
}
