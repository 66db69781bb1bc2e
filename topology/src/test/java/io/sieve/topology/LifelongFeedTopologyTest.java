package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lifelong feed whose topic moves on every phase, so that clusters are spawned, split and retired
 * over and over, through the whole topology in a {@link TopologyTestDriver}: every store and every
 * metric series stays bounded by the live clusters, however many have come and gone.
 */
class LifelongFeedTopologyTest {

  private static final int DIMENSION = 16;
  private static final int K_MAX = 6;
  private static final int CAPACITY = 12;
  private static final int WINDOW = 8;
  private static final int PER_PHASE = 20;
  private static final List<String> TRAINERS = List.of("uniform-t", "ucb-t");

  @TempDir Path stateDir;

  @Test
  void shouldKeepEveryStoreAndMetricSeriesBoundedWhileClustersComeAndGo() throws IOException {
    // hundreds of commits each sync a checkpoint file per store: on a memory file system where
    // there is one, so the run does not wait on a shared disk
    Path shm = Path.of("/dev/shm");
    Path dir =
        Files.isDirectory(shm) && Files.isWritable(shm)
            ? Files.createTempDirectory(shm, "sieve-lifelong-")
            : stateDir;
    try {
      run(dir);
    } finally {
      if (!dir.equals(stateDir)) {
        try (Stream<Path> paths = Files.walk(dir)) {
          paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  private void run(Path dir) {
    Map<String, Object> props = DriverHarness.props("sieve-lifelong-test", dir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 16);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 2);
    props.put(SieveConfig.CLUSTER_K_MAX_CONFIG, K_MAX);
    props.put(SieveConfig.CLUSTER_SPAWN_DISTANCE_CONFIG, 0.5);
    // a half-life of 2 points: a cluster that gets none of a phase's 20 points loses 2^-10 of its
    // weight, and after three such phases it is dying (below 1e-8 of the heaviest)
    props.put(SieveConfig.CLUSTER_HALF_LIFE_CONFIG, 2.0);
    props.put(SieveConfig.POOL_CAPACITY_CONFIG, CAPACITY);
    props.put(SieveConfig.DEDUP_NEAR_POLICY_CONFIG, "count");
    props.put(SieveConfig.DEDUP_NEAR_WINDOW_CONFIG, WINDOW);
    try (DriverHarness harness = new DriverHarness(props)) {
      TopologyTestDriver driver = harness.driver();
      Topics topics = harness.topics();
      SieveMetrics metrics = harness.metrics();
      TestInputTopic<String, TrainingExample> examples = harness.input(topics.examples());
      TestInputTopic<String, TrainerSpec> specs = harness.input(topics.trainers());
      TestInputTopic<String, TrainerFeedback> feedback = harness.input(topics.feedback());
      Map<String, TestOutputTopic<String, TrainingBatch>> batches = new LinkedHashMap<>();
      for (String trainer : TRAINERS) {
        batches.put(trainer, harness.batches(trainer));
      }
      TestOutputTopic<String, CentroidModel> models = harness.output(topics.centroids());

      // Given two trainers, one uniform and one whose UCB policy keeps numbers per cluster
      specs.pipeInput("uniform-t", spec("uniform-t", "uniform"));
      specs.pipeInput("ucb-t", spec("ucb-t", "ucb"));

      // When 80 phases each bring 20 examples around a new random direction, and the trainers
      // acknowledge every batch with per-cluster losses
      Random rng = new Random(7);
      Map<String, Long> peak = new TreeMap<>();
      long peakClusterSeries = 0;
      int peakCursors = 0;
      int peakPolicyKeys = 0;
      CentroidModel model = null;
      for (int phase = 0; phase < 80; phase++) {
        float[] direction = unit(rng);
        for (int i = 0; i < PER_PHASE; i++) {
          String id = "p" + phase + "-" + i;
          examples.pipeInput(
              id,
              TrainingExample.newBuilder()
                  .setId(id)
                  .setText(id)
                  .setEmbedding(near(direction, rng))
                  .build());
        }
        // one second a step: the assigners' update, the owner's new model, its refresh, the pools'
        // publication and the planner each fire once or more
        for (int step = 0; step < 5; step++) {
          driver.advanceWallClockTime(Duration.ofSeconds(1));
        }
        for (Map.Entry<String, TestOutputTopic<String, TrainingBatch>> e : batches.entrySet()) {
          for (TrainingBatch b : e.getValue().readValuesToList()) {
            Map<String, Double> losses = new TreeMap<>();
            b.getClusterCounts()
                .keySet()
                .forEach(k -> losses.put(k, 1.0 + Integer.parseInt(k) % 3));
            feedback.pipeInput(
                e.getKey(),
                TrainerFeedback.newBuilder()
                    .setTrainerId(e.getKey())
                    .setBatchId(b.getBatchId())
                    .setClusterLosses(losses)
                    .build());
          }
        }
        for (KeyValue<String, CentroidModel> kv : models.readKeyValuesToList()) {
          model = kv.value;
        }
        // a scrape sets the gauges of state from the stores, as the REST layer's does
        metrics.clusters(
            model, values(driver.<Integer, ClusterStats>getKeyValueStore(Stores.CLUSTER_STATS)));
        List<TrainerState> states =
            values(driver.<String, TrainerState>getKeyValueStore(Stores.TRAINERS));
        metrics.trainers(states);
        if (phase >= 10) {
          for (String store : CLUSTER_STORES) {
            peak.merge(store, entries(driver.getKeyValueStore(store)), Math::max);
          }
          peakClusterSeries = Math.max(peakClusterSeries, clusterSeries(metrics));
          for (TrainerState s : states) {
            peakCursors = Math.max(peakCursors, s.getCursors().size());
            peakPolicyKeys = Math.max(peakPolicyKeys, s.getPolicyState().size());
          }
        }
      }

      // Then at least 50 clusters were retired over the run
      assertThat(model).isNotNull();
      int retired = model.getNextClusterId() - model.getClusters().size();
      assertThat(retired)
          .as("clusters retired, next id %d", model.getNextClusterId())
          .isGreaterThanOrEqualTo(50);
      assertThat(metrics.reclaimed()).isPositive();
      // and the trainers kept getting batches to the end
      assertThat(metrics.batches()).isGreaterThan(80);

      // and every store keyed by cluster held no more than the live clusters need; a retired
      // cluster that lingers until its pool's next publication may add one more
      int clusters = K_MAX + 1;
      assertThat(peak.get(Stores.POOL_STATS)).isLessThanOrEqualTo(clusters);
      assertThat(peak.get(Stores.CLUSTER_STATS)).isLessThanOrEqualTo(clusters);
      assertThat(peak.get(Stores.POOL)).isLessThanOrEqualTo((long) clusters * CAPACITY);
      assertThat(peak.get(Stores.NEAR_WINDOW)).isLessThanOrEqualTo((long) clusters * WINDOW);
      assertThat(peak.get(Stores.AWAITING_MODEL)).isZero();
      assertThat(peak.get(Stores.MODEL_OWNER)).isEqualTo(1);
      assertThat(peak.get(Stores.CENTROIDS)).isEqualTo(1);
      assertThat(peak.get(Stores.TRAINERS)).isEqualTo(TRAINERS.size());
      assertThat(peak.get(Stores.RECENT_BATCHES)).isEqualTo(TRAINERS.size());
      // and each trainer's cursors and per-cluster policy numbers followed the live clusters (UCB
      // keeps sum.k, n.k and the last validation loss val.k per cluster, the round's reward
      // accumulators, at most four per cluster reported in the round and reset when it closes,
      // the evidence ev.w.k, ev.s1.k, ev.s2.k and the gate gate.k, and eight numbers of its own;
      // 75 retired clusters would leave 150 keys or more behind)
      assertThat(peakCursors).isLessThanOrEqualTo(clusters);
      assertThat(peakPolicyKeys).isLessThanOrEqualTo(11 * clusters + 8);
      // and the metric series per cluster (pool gauges, batch shares and counts per trainer,
      // policy-state gauges) stayed within what the live clusters need
      assertThat(peakClusterSeries).isLessThanOrEqualTo(clusters * (3 + 3 * TRAINERS.size() + 2));
    }
  }

  /**
   * The key-value stores whose entries are per cluster, per trainer, or one. (The exact-duplicate
   * store and the assembler's markers are bounded by time, by their retention, not by clusters.)
   */
  private static final List<String> CLUSTER_STORES =
      List.of(
          Stores.POOL,
          Stores.POOL_STATS,
          Stores.NEAR_WINDOW,
          Stores.CLUSTER_STATS,
          Stores.AWAITING_MODEL,
          Stores.MODEL_OWNER,
          Stores.CENTROIDS,
          Stores.TRAINERS,
          Stores.RECENT_BATCHES);

  private static TrainerSpec spec(String trainer, String policy) {
    return TrainerSpec.newBuilder()
        .setTrainerId(trainer)
        .setPolicy(policy)
        .setBatchSize(6)
        .setWindow(2)
        .setSeed(3)
        .build();
  }

  /** Meters that carry a cluster id: pool gauges, per-cluster batch series, policy gauges. */
  private static long clusterSeries(SieveMetrics metrics) {
    long n = 0;
    for (Meter m : metrics.registry().getMeters()) {
      Meter.Id id = m.getId();
      boolean perCluster =
          id.getTag(SieveMetrics.CLUSTER) != null
              || SieveMetrics.CLUSTER.equals(id.getTag("kind"))
              || (SieveMetrics.POLICY_STATE.equals(id.getName())
                  && id.getTag("key") != null
                  && id.getTag("key").matches("[a-zA-Z]+\\.[0-9]+"));
      if (perCluster) {
        n++;
      }
    }
    return n;
  }

  private static float[] unit(Random rng) {
    float[] v = new float[DIMENSION];
    double sq = 0;
    for (int i = 0; i < DIMENSION; i++) {
      v[i] = (float) rng.nextGaussian();
      sq += v[i] * v[i];
    }
    for (int i = 0; i < DIMENSION; i++) {
      v[i] /= (float) Math.sqrt(sq);
    }
    return v;
  }

  private static List<Float> near(float[] direction, Random rng) {
    List<Float> e = new ArrayList<>(DIMENSION);
    for (float x : direction) {
      e.add(x + 0.05f * (float) rng.nextGaussian());
    }
    return e;
  }

  private static <K, V> long entries(KeyValueStore<K, V> store) {
    long n = 0;
    try (KeyValueIterator<K, V> it = store.all()) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
  }

  private static <K, V> List<V> values(KeyValueStore<K, V> store) {
    List<V> out = new ArrayList<>();
    try (KeyValueIterator<K, V> it = store.all()) {
      it.forEachRemaining(kv -> out.add(kv.value));
    }
    return out;
  }
}
