package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.BatchExample;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.EvaluationRound;
import io.sieve.avro.ScoreEntry;
import io.sieve.avro.ServedMark;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.policy.CoveragePolicy;
import io.sieve.policy.EquitablePolicy;
import io.sieve.policy.Exp3Policy;
import io.sieve.policy.GroupQuotas;
import io.sieve.policy.GroupRefinementPolicy;
import io.sieve.policy.IterativeRefinementPolicy;
import io.sieve.policy.StratifiedPolicy;
import io.sieve.policy.UcbPolicy;
import io.sieve.pool.PoolKeys;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adaptive, coverage and group policies through the whole topology in a {@link
 * TopologyTestDriver}, with scripted feedback: planning on feedback, fulfil and assembly all run
 * synchronously inside {@code pipeInput}, so each acknowledgement yields the next batch at once.
 */
class PoliciesTopologyTest {

  private static final int DIMENSION = 16;
  private static final String TRAINER = "t1";
  private static final String[] TOPICS = {"kafka", "football", "baking"};

  /** Rounds of one batch: the scripted feedback of each batch closes a round. */
  private static final String ROUND_BATCHES = "policy.round.batches";

  @TempDir Path temp;

  /** One topology in a driver, with the topics a test needs. */
  static final class Sieve implements AutoCloseable {
    final DriverHarness harness;
    final TopologyTestDriver driver;
    final SieveMetrics metrics;
    final TestInputTopic<String, TrainingExample> examples;
    final TestInputTopic<String, TrainerSpec> trainers;
    final TestInputTopic<String, TrainerFeedback> feedback;
    final TestOutputTopic<String, TrainingBatch> batches;

    Sieve(Path stateDir) {
      Map<String, Object> props = DriverHarness.props("sieve-policies-test", stateDir);
      props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
      props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 20);
      props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 3);
      props.put(SieveConfig.POOL_CAPACITY_CONFIG, 50);
      // batches planned on credit only: these tests look at how feedback and arrivals shape the
      // very next batch, which a stage would have planned before them (StagedBatchesTopologyTest)
      props.put(SieveConfig.BATCH_STAGE_CONFIG, 0);
      // fixtures repeat embeddings on purpose: no near-duplicate pruning, no spawning
      props.put(SieveConfig.DEDUP_NEAR_POLICY_CONFIG, "keep");
      props.put(SieveConfig.CLUSTER_SPAWN_DISTANCE_CONFIG, 2.0);
      harness = new DriverHarness(props);
      driver = harness.driver();
      metrics = harness.metrics();
      examples = harness.input(harness.topics().examples());
      trainers = harness.input(harness.topics().trainers());
      feedback = harness.input(harness.topics().feedback());
      batches = harness.batches(TRAINER);
    }

    /** 50 examples of each of three topics (a full pool each); every third is lang=fr. */
    void fill() {
      for (int i = 0; i < 50; i++) {
        for (int t = 0; t < TOPICS.length; t++) {
          TrainingExample e = topical(t, i);
          examples.pipeInput(e.getId(), e);
        }
      }
      settle();
    }

    void settle() {
      harness.settle();
    }

    void spec(String policy, int batchSize, Map<String, String> params) {
      TrainerSpec spec =
          TrainerSpec.newBuilder()
              .setTrainerId(TRAINER)
              .setPolicy(policy)
              .setBatchSize(batchSize)
              .setWindow(1)
              .setSeed(11)
              .setParams(params)
              .build();
      trainers.pipeInput(TRAINER, spec);
    }

    /** The one batch written since the last call. */
    TrainingBatch next() {
      List<TrainingBatch> out = batches.readValuesToList();
      assertThat(out).as("batches written").hasSize(1);
      return out.get(0);
    }

    /**
     * Runs {@code rounds} batches: each is read, then acknowledged with the feedback {@code script}
     * makes of it. Returns the batches.
     */
    List<TrainingBatch> run(int rounds, Function<TrainingBatch, TrainerFeedback.Builder> script) {
      List<TrainingBatch> seen = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        TrainingBatch b = next();
        seen.add(b);
        feedback.pipeInput(
            TRAINER, script.apply(b).setTrainerId(TRAINER).setBatchId(b.getBatchId()).build());
      }
      return seen;
    }

    TrainerState trainerState() {
      KeyValueStore<String, TrainerState> store = driver.getKeyValueStore(Stores.TRAINERS);
      return store.get(TRAINER);
    }

    /** Cluster id of each topic, from the pool. */
    Map<String, Integer> clusterOfTopic() {
      Map<String, Integer> out = new TreeMap<>();
      KeyValueStore<Bytes, BatchExample> pool = driver.getKeyValueStore(Stores.POOL);
      try (KeyValueIterator<Bytes, BatchExample> it = pool.all()) {
        it.forEachRemaining(
            kv -> out.put(kv.value.getGroups().get("topic"), PoolKeys.clusterOf(kv.key)));
      }
      return out;
    }

    @Override
    public void close() {
      harness.close();
    }
  }

  /** Example i of topic t: an embedding near the topic's own axis, so topics are clusters. */
  static TrainingExample topical(int t, int i) {
    List<Float> embedding = DriverHarness.nearAxis(t * 5, i, DIMENSION);
    return TrainingExample.newBuilder()
        .setId(TOPICS[t] + "-" + i)
        .setText(TOPICS[t] + " text number " + i)
        .setEmbedding(embedding)
        .setGroups(Map.of("topic", TOPICS[t], "lang", i % 3 == 0 ? "fr" : "en"))
        .build();
  }

  /** Pooled examples whose {@code attribute} is {@code value}, read from the pool itself. */
  private static long pooledOf(Sieve sieve, String attribute, String value) {
    KeyValueStore<Bytes, BatchExample> pool = sieve.driver.getKeyValueStore(Stores.POOL);
    long n = 0;
    try (KeyValueIterator<Bytes, BatchExample> it = pool.all()) {
      while (it.hasNext()) {
        if (value.equals(it.next().value.getGroups().get(attribute))) {
          n++;
        }
      }
    }
    return n;
  }

  /** The count of {@code group} (attr=value) over all clusters, as the planner's statistics say. */
  private static long statsOf(Sieve sieve, String group) {
    KeyValueStore<Integer, ClusterStats> stats =
        sieve.driver.getKeyValueStore(Stores.CLUSTER_STATS);
    long n = 0;
    try (KeyValueIterator<Integer, ClusterStats> it = stats.all()) {
      while (it.hasNext()) {
        n += it.next().value.getGroupCounts().getOrDefault(group, 0L);
      }
    }
    return n;
  }

  /** Feedback naming each cluster in the batch with the topic's loss. */
  private static Function<TrainingBatch, TrainerFeedback.Builder> lossByTopic(
      Map<String, Double> lossOfTopic) {
    return b -> {
      Map<String, Double> losses = new TreeMap<>();
      for (BatchExample e : b.getExamples()) {
        losses.put(Integer.toString(e.getClusterId()), lossOfTopic.get(e.getGroups().get("topic")));
      }
      return TrainerFeedback.newBuilder().setClusterLosses(losses);
    };
  }

  private static double share(List<TrainingBatch> batches, String topic) {
    return share(batches, "topic", topic);
  }

  private static double share(List<TrainingBatch> batches, String attribute, String value) {
    long mine = 0;
    long all = 0;
    for (TrainingBatch b : batches) {
      for (BatchExample e : b.getExamples()) {
        all++;
        mine += value.equals(e.getGroups().get(attribute)) ? 1 : 0;
      }
    }
    return mine / (double) all;
  }

  private static List<String> ids(TrainingBatch b) {
    return b.getExamples().stream().map(BatchExample::getId).toList();
  }

  // ---------------------------------------------------------------- adaptive cluster policies

  @Test
  void shouldShiftExp3ShareTowardTheClusterWithTheHigherLoss() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given three full clusters and an exp3 trainer
      sieve.fill();
      sieve.spec(Exp3Policy.NAME, 12, Map.of(ROUND_BATCHES, "1"));
      // When thirty batches are acknowledged with kafka's loss 3 and the others' 1, each a round
      List<TrainingBatch> batches =
          sieve.run(30, lossByTopic(Map.of("kafka", 3.0, "football", 1.0, "baking", 1.0)));
      // Then the first batch is planned on the pool's natural mix, a third each, and kafka's share
      // grows to more than half
      assertThat(batches.get(0).getPolicyState().keySet().stream().filter(k -> k.startsWith("pi.")))
          .hasSize(3);
      assertThat(batches.get(0).getPolicyState())
          .allSatisfy(
              (key, value) -> {
                if (key.startsWith("pi.")) {
                  assertThat(value).isCloseTo(1 / 3.0, within(1e-12));
                }
              });
      assertThat(share(batches.subList(20, 30), "kafka")).isGreaterThan(0.5);
      assertThat(batches).allSatisfy(b -> assertThat(b.getComplete()).isTrue());
      // and each example's sampling weight is its cluster's pool share (a third) over the π the
      // batch was planned with: kafka's examples weigh less than 1 once it is over-sampled
      for (TrainingBatch b : batches) {
        for (BatchExample e : b.getExamples()) {
          double pi = b.getPolicyState().get("pi." + e.getClusterId());
          assertThat(e.getWeight()).isCloseTo((1 / 3.0) / pi, within(1e-9));
        }
      }
      assertThat(batches.get(29).getExamples())
          .filteredOn(e -> "kafka".equals(e.getGroups().get("topic")))
          .allSatisfy(e -> assertThat(e.getWeight()).isLessThan(1.0));
    }
  }

  @Test
  void shouldDrawLessOfTheGroupValueTheTrainerLearnsLeastFrom() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given a group-refinement trainer over lang (a third of the pool is fr)
      sieve.fill();
      sieve.spec(
          GroupRefinementPolicy.NAME,
          12,
          Map.of(GroupRefinementPolicy.ATTRIBUTE, "lang", ROUND_BATCHES, "1"));
      // When every batch is acknowledged with fr's learnability far below en's, each a round
      List<TrainingBatch> batches =
          sieve.run(
              20,
              b ->
                  TrainerFeedback.newBuilder()
                      .setGroupLearnability(Map.of("lang=fr", -1.0, "lang=en", 0.5)));
      // Then the first batch follows the pool's mix, and the last ones hold little more fr than
      // the exploration share keeps (η·π = 0.1·1/3)
      assertThat(share(batches.subList(0, 1), "lang", "fr")).isCloseTo(1 / 3.0, within(0.09));
      assertThat(share(batches.subList(15, 20), "lang", "fr")).isLessThan(0.1);
      assertThat(sieve.trainerState().getPolicyState().get("rho.fr"))
          .isLessThan(sieve.trainerState().getPolicyState().get("rho.en"));
    }
  }

  @Test
  void shouldShiftUcbShareTowardTheClusterWithTheHigherLoss() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given a ucb trainer in Quad's form (no floor, no evidence gate) that splits each batch
      // over its top two clusters
      sieve.fill();
      sieve.spec(
          UcbPolicy.NAME,
          12,
          Map.of(
              UcbPolicy.CLUSTERS,
              "2",
              UcbPolicy.FLOOR,
              "0",
              UcbPolicy.EVIDENCE,
              "0",
              ROUND_BATCHES,
              "1"));
      // When batches are acknowledged with baking's loss 3 and the others' 0.5, each a round
      List<TrainingBatch> batches =
          sieve.run(15, lossByTopic(Map.of("kafka", 0.5, "football", 0.5, "baking", 3.0)));
      // Then from the fifth round on baking is always one of the two: half of every batch
      for (TrainingBatch b : batches.subList(5, 15)) {
        assertThat(share(List.of(b), "baking")).isEqualTo(0.5);
      }
    }
  }

  @Test
  void shouldRefineClusterWeightsExactlyAsTheMultiplicativeSoftmaxSays() {
    try (Sieve sieve = new Sieve(temp)) {
      sieve.fill();
      sieve.spec(
          IterativeRefinementPolicy.NAME,
          12,
          // the paper's update: no floor, each round's own reward, from equal weights
          withRoundOfOneBatch(IterativeRefinementPolicy.PAPER));
      Map<String, Integer> cluster = sieve.clusterOfTopic();
      // Given three rounds of losses per topic, and no floor
      double[][] rounds = {{2.0, 0.5, 1.0}, {1.5, 0.2, 1.1}, {3.0, 0.1, 0.4}};
      double[] w = {1 / 3.0, 1 / 3.0, 1 / 3.0};
      for (double[] s : rounds) {
        Map<String, Double> losses = new TreeMap<>();
        for (int t = 0; t < 3; t++) {
          losses.put(Integer.toString(cluster.get(TOPICS[t])), s[t]);
        }
        // When each is the feedback on the current batch
        sieve.run(1, b -> TrainerFeedback.newBuilder().setClusterLosses(losses));
        // (hand computation: S_k = clamp(0.5 + (loss_k − m)/(4·1.4826·MAD), 0, 1), m the median,
        // w_k ← w_k·e^{S_k} / Σ_j e^{S_j}, then normalised)
        double[] r = robust(s);
        double z = Math.exp(r[0]) + Math.exp(r[1]) + Math.exp(r[2]);
        double norm = 0;
        for (int t = 0; t < 3; t++) {
          w[t] = w[t] * Math.exp(r[t]) / z;
          norm += w[t];
        }
        for (int t = 0; t < 3; t++) {
          w[t] /= norm;
        }
      }
      // Then the trainer's stored weights are the hand computation's
      Map<String, Double> state = sieve.trainerState().getPolicyState();
      for (int t = 0; t < 3; t++) {
        assertThat(Math.exp(state.get("logw." + cluster.get(TOPICS[t]))))
            .isCloseTo(w[t], within(1e-12));
      }
      assertThat(w[0]).isGreaterThan(0.6);
      // and later batches follow them: kafka has most of them
      List<TrainingBatch> later = sieve.run(5, b -> TrainerFeedback.newBuilder());
      assertThat(share(later, "kafka")).isGreaterThan(0.5);
    }
  }

  /** The rewards' robust scale of three distinct values, by hand. */
  private static double[] robust(double[] x) {
    double[] sorted = x.clone();
    java.util.Arrays.sort(sorted);
    double m = sorted[1];
    double[] dev = {Math.abs(x[0] - m), Math.abs(x[1] - m), Math.abs(x[2] - m)};
    java.util.Arrays.sort(dev);
    double scale = 1.4826 * dev[1];
    double[] out = new double[3];
    for (int i = 0; i < 3; i++) {
      out[i] = Math.min(1, Math.max(0, 0.5 + (x[i] - m) / (4 * scale)));
    }
    return out;
  }

  // ---------------------------------------------------------------- groups

  @Test
  void shouldHoldGroupTargetsExactlyInEveryBatch() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given a pool where a third is lang=fr, and a trainer wanting exactly half fr
      sieve.fill();
      sieve.spec("cluster-balanced", 12, Map.of(GroupQuotas.TARGETS, "lang=fr:0.5"));
      // When twenty batches go by
      List<TrainingBatch> batches = sieve.run(20, b -> TrainerFeedback.newBuilder());
      // Then every batch has exactly 6 fr of 12, no repeat, and is complete
      for (TrainingBatch b : batches) {
        assertThat(b.getGroupCounts()).containsEntry("lang=fr", 6).containsEntry("lang=en", 6);
        assertThat(ids(b)).hasSize(12).doesNotHaveDuplicates();
        assertThat(b.getComplete()).isTrue();
      }
      assertThat(sieve.metrics.groupShortfalls()).isEmpty();
    }
  }

  @Test
  void shouldWarnAndRedistributeWhenATargetExceedsSupply() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given the pool holds 51 fr of 150 and a trainer wants 60 fr in batches of 60
      sieve.fill();
      sieve.spec("uniform", 60, Map.of(GroupQuotas.TARGETS, "lang=fr:1.0"));
      // Then the batch is whole: all 51 fr and 9 en, but it misses its target: flagged
      // incomplete, and the shortfall is counted
      TrainingBatch b = sieve.next();
      assertThat(b.getGroupCounts()).containsEntry("lang=fr", 51).containsEntry("lang=en", 9);
      assertThat(b.getExamples()).hasSize(60);
      assertThat(b.getComplete()).isFalse();
      assertThat(b.getMissingClusters()).isEmpty();
      assertThat(sieve.metrics.groupShortfalls()).containsEntry("lang=fr", 1L);
    }
  }

  @Test
  void shouldDrawExactGroupTargetsFromWhatThePoolHoldsWhileItsStatisticsLag() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given a pool of 20 en per topic whose statistics are published
      for (int i = 0; i < 30; i++) {
        for (int t = 0; t < TOPICS.length; t++) {
          if (i % 3 != 0) {
            TrainingExample e = topical(t, i);
            sieve.examples.pipeInput(e.getId(), e);
          }
        }
      }
      sieve.settle();
      // and then 10 fr per topic pooled before the statistics are published again
      for (int i = 0; i < 30; i += 3) {
        for (int t = 0; t < TOPICS.length; t++) {
          TrainingExample e = topical(t, i);
          sieve.examples.pipeInput(e.getId(), e);
        }
      }
      assertThat(pooledOf(sieve, "lang", "fr")).isEqualTo(30);
      assertThat(statsOf(sieve, "lang=fr")).isZero();

      // When a trainer wanting exactly half fr gets its batch at once, planned from those
      // statistics
      sieve.spec("cluster-balanced", 12, Map.of(GroupQuotas.TARGETS, "lang=fr:0.5"));

      // Then the pool drew the exact counts from what it holds: 6 fr, 6 en, complete
      TrainingBatch b = sieve.next();
      assertThat(statsOf(sieve, "lang=fr")).isZero();
      assertThat(b.getGroupCounts()).containsEntry("lang=fr", 6).containsEntry("lang=en", 6);
      assertThat(ids(b)).hasSize(12).doesNotHaveDuplicates();
      assertThat(b.getComplete()).isTrue();
      assertThat(sieve.metrics.groupShortfalls()).isEmpty();
    }
  }

  @Test
  void shouldRaiseTheShareOfTheGroupWhoseValidationLossStaysHigh() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given fr's validation loss stays high (0.6 + 2·n^-0.3) and en's falls fast (0.1 + n^-0.5)
      sieve.fill();
      sieve.spec(EquitablePolicy.NAME, 12, Map.of(EquitablePolicy.ATTRIBUTE, "lang"));
      Map<String, Long> trained = new TreeMap<>(Map.of("lang=fr", 0L, "lang=en", 0L));
      Map<String, Long> since = new TreeMap<>();
      long[] round = {0};
      // When every second batch closes an evaluation round with those losses
      List<TrainingBatch> batches =
          sieve.run(
              24,
              b -> {
                b.getGroupCounts()
                    .forEach(
                        (k, v) -> {
                          trained.merge(k, (long) v, Long::sum);
                          since.merge(k, (long) v, Long::sum);
                        });
                TrainerFeedback.Builder fb = TrainerFeedback.newBuilder();
                if (b.getSequence() % 2 == 1) {
                  double fr = 0.6 + 2 * Math.pow(Math.max(1, trained.get("lang=fr")), -0.3);
                  double en = 0.1 + Math.pow(Math.max(1, trained.get("lang=en")), -0.5);
                  fb.setEvaluation(
                      EvaluationRound.newBuilder()
                          .setRound(round[0]++)
                          .setGroupLosses(Map.of("lang=fr", fr, "lang=en", en))
                          .setTrainedGroupCounts(new TreeMap<>(since))
                          .build());
                  since.clear();
                }
                return fb;
              });
      // Then fr starts at its pool share (a third: 4 of 12) and rises, 0.05 a round at most
      int first = batches.get(0).getGroupCounts().get("lang=fr");
      int last = batches.get(23).getGroupCounts().get("lang=fr");
      assertThat(first).isBetween(3, 5);
      assertThat(last).isGreaterThanOrEqualTo(6);
      for (int i = 1; i < batches.size(); i++) {
        int before = batches.get(i - 1).getGroupCounts().getOrDefault("lang=fr", 0);
        int now = batches.get(i).getGroupCounts().getOrDefault("lang=fr", 0);
        assertThat(Math.abs(now - before)).isLessThanOrEqualTo(2); // 0.05 × 12, and rounding
      }
      assertThat(batches).allSatisfy(b -> assertThat(ids(b)).hasSize(12).doesNotHaveDuplicates());
    }
  }

  @Test
  void shouldSplitEveryBatchEquallyOverTheValuesUnderStratified() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given a pool that is one third fr
      sieve.fill();
      // When a trainer stratifies on lang
      sieve.spec(StratifiedPolicy.NAME, 12, Map.of(StratifiedPolicy.ATTRIBUTE, "lang"));
      List<TrainingBatch> batches = sieve.run(6, b -> TrainerFeedback.newBuilder());
      // Then every batch holds 6 of each
      for (TrainingBatch b : batches) {
        assertThat(b.getGroupCounts()).containsEntry("lang=fr", 6).containsEntry("lang=en", 6);
        assertThat(ids(b)).hasSize(12).doesNotHaveDuplicates();
      }
    }
  }

  @Test
  void shouldServeArrivalsFirstUnderARecencyShareWithMatchingWeights() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given 20 examples of each topic pooled, and a uniform trainer with recency.share 0.5
      for (int i = 0; i < 20; i++) {
        for (int t = 0; t < TOPICS.length; t++) {
          TrainingExample e = topical(t, i);
          sieve.examples.pipeInput(e.getId(), e);
        }
      }
      sieve.settle();
      sieve.spec("uniform", 10, Map.of("recency.share", "0.5"));
      sieve.run(2, b -> TrainerFeedback.newBuilder());
      // When 20 more baking examples arrive mid-cycle
      for (int i = 20; i < 40; i++) {
        TrainingExample e = topical(2, i);
        sieve.examples.pipeInput(e.getId(), e);
      }
      sieve.settle();
      // (the first batch read was planned before they arrived)
      List<TrainingBatch> after = sieve.run(3, b -> TrainerFeedback.newBuilder()).subList(1, 3);
      TrainingBatch first = after.get(0);
      // Then half of the next batch is arrivals, at least
      long fresh =
          first.getExamples().stream()
              .filter(e -> e.getId().startsWith("baking-"))
              .filter(e -> Integer.parseInt(e.getId().substring(7)) >= 20)
              .count();
      assertThat(fresh).isGreaterThanOrEqualTo(5);
      assertThat(ids(first)).hasSize(10).doesNotHaveDuplicates();
      // and each example's weight is its cluster's pool share over its expected batch share:
      // baking (40 of 80, all 20 unserved arrivals) 0.5 / (0.5·0.5 + 0.5·1) = 2/3, the others
      // 0.25 / (0.5·0.25) = 2
      for (BatchExample e : first.getExamples()) {
        double expected = e.getGroups().get("topic").equals("baking") ? 2 / 3.0 : 2.0;
        assertThat(e.getWeight()).as(e.getId()).isCloseTo(expected, within(1e-9));
      }
    }
  }

  @Test
  void shouldBalanceTheLabelsOfALongTail() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given a pool whose labels are a long tail: 135 "common", 15 "rare"
      for (int i = 0; i < 50; i++) {
        for (int t = 0; t < TOPICS.length; t++) {
          TrainingExample e = topical(t, i);
          e.setLabel(i % 10 == 0 ? "rare" : "common");
          sieve.examples.pipeInput(e.getId(), e);
        }
      }
      sieve.settle();
      // When a trainer asks for label-balanced batches of 10
      sieve.spec(StratifiedPolicy.LABEL_BALANCED, 10, Map.of());
      List<TrainingBatch> batches = sieve.run(6, b -> TrainerFeedback.newBuilder());
      // Then every batch holds 5 of each label
      for (TrainingBatch b : batches) {
        Map<String, Integer> labels = new TreeMap<>();
        b.getExamples().forEach(e -> labels.merge(e.getLabel(), 1, Integer::sum));
        assertThat(labels).containsEntry("rare", 5).containsEntry("common", 5);
        assertThat(ids(b)).hasSize(10).doesNotHaveDuplicates();
      }
    }
  }

  // ---------------------------------------------------------------- coverage and scores

  @Test
  void shouldNeverEmitThePrunedHardestItemsUnderCoverage() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given a uniform pass over the whole pool whose feedback scores every example
      sieve.fill();
      sieve.spec("uniform", 30, Map.of());
      Map<String, Double> lossOf = new TreeMap<>();
      sieve.run(
          5,
          b -> {
            Map<String, Double> losses = new TreeMap<>();
            for (BatchExample e : b.getExamples()) {
              // (uniform sampling: every example weighs 1)
              assertThat(e.getWeight()).isEqualTo(1.0);
              // distinct, and unrelated to the slot order
              double loss =
                  1
                      + Math.floorMod(e.getId().hashCode() * 31 + e.getId().length(), 997) / 100.0
                      + lossOf.size() * 1e-6;
              losses.put(e.getId(), loss);
              lossOf.put(e.getId(), loss);
            }
            return TrainerFeedback.newBuilder().setExampleLosses(losses);
          });
      assertThat(lossOf).hasSize(150);
      // (the trainer's scores are kept beside the pool, per trainer)
      Map<Integer, List<BatchExample>> byCluster = new TreeMap<>();
      KeyValueStore<Bytes, BatchExample> pool = sieve.driver.getKeyValueStore(Stores.POOL);
      KeyValueStore<Bytes, ScoreEntry> scores = sieve.driver.getKeyValueStore(Stores.SCORES);
      try (KeyValueIterator<Bytes, BatchExample> it = pool.all()) {
        it.forEachRemaining(
            kv -> {
              ScoreEntry own =
                  scores.get(
                      PoolKeys.score(kv.value.getClusterId(), TRAINER, PoolKeys.slotOf(kv.key)));
              assertThat(own).isNotNull();
              assertThat(own.getId()).isEqualTo(kv.value.getId());
              assertThat(own.getScore()).isEqualTo(lossOf.get(kv.value.getId()));
              // the pooled example itself is left as it was ingested: no trainer's loss on it
              assertThat(kv.value.getScore()).isNull();
              kv.value.setScore(own.getScore());
              byCluster
                  .computeIfAbsent(kv.value.getClusterId(), k -> new ArrayList<>())
                  .add(kv.value);
            });
      }
      Set<String> pruned = new HashSet<>();
      for (List<BatchExample> items : byCluster.values()) {
        items.sort((a, b) -> Double.compare(b.getScore(), a.getScore()));
        for (int i = 0; i < (int) Math.floor(0.3 * items.size()); i++) {
          pruned.add(items.get(i).getId());
        }
      }
      assertThat(sieve.metrics.scoresUpdated()).isEqualTo(150);
      // When the trainer switches to coverage (β = 0.3, 10 strata) and acknowledges 20 batches
      // (the uniform batch planned before the switch is dropped: the new spec starts with its
      // whole window)
      sieve.spec(
          CoveragePolicy.NAME, 30, Map.of(CoveragePolicy.BETA, "0.3", CoveragePolicy.STRATA, "10"));
      List<TrainingBatch> before = sieve.batches.readValuesToList();
      assertThat(before).hasSize(2);
      assertThat(before.get(0).getPolicy()).isEqualTo("uniform");
      List<TrainingBatch> batches = new ArrayList<>(before.subList(1, 2));
      sieve.feedback.pipeInput(
          TRAINER,
          TrainerFeedback.newBuilder()
              .setTrainerId(TRAINER)
              .setBatchId(before.get(1).getBatchId())
              .build());
      batches.addAll(sieve.run(19, b -> TrainerFeedback.newBuilder()));
      // Then no batch ever holds one of the hardest 30% of its cluster
      Set<String> emitted = new HashSet<>();
      for (TrainingBatch b : batches) {
        assertThat(b.getPolicy()).isEqualTo(CoveragePolicy.NAME);
        assertThat(ids(b)).hasSize(30).doesNotHaveDuplicates().doesNotContainAnyElementsOf(pruned);
        emitted.addAll(ids(b));
      }
      // and everything else is reachable: the 105 kept items all show up
      assertThat(emitted).hasSize(150 - pruned.size());
      // When a second trainer, which has sent no losses, draws by coverage too
      TestOutputTopic<String, TrainingBatch> other = sieve.harness.batches("t2");
      sieve.trainers.pipeInput(
          "t2",
          TrainerSpec.newBuilder()
              .setTrainerId("t2")
              .setPolicy(CoveragePolicy.NAME)
              .setBatchSize(30)
              .setWindow(1)
              .setSeed(5)
              .setParams(Map.of(CoveragePolicy.BETA, "0.3", CoveragePolicy.STRATA, "10"))
              .build());
      Set<String> theirs = new HashSet<>();
      for (int b = 0; b < 10; b++) {
        List<TrainingBatch> got = other.readValuesToList();
        assertThat(got).hasSize(1);
        theirs.addAll(ids(got.get(0)));
        sieve.feedback.pipeInput(
            "t2",
            TrainerFeedback.newBuilder()
                .setTrainerId("t2")
                .setBatchId(got.get(0).getBatchId())
                .build());
      }
      // Then the first trainer's losses prune nothing of its: every item, the first trainer's
      // hardest included, is reachable (an item it has no score for is never pruned)
      assertThat(theirs).hasSize(150).containsAll(pruned);
    }
  }

  // ---------------------------------------------------------------- the pool's own cycles

  /**
   * The ids each (cluster, group value of {@code attribute}, cycle) of the batches served; the
   * value is empty without an attribute (coverage's cycles run over the whole cluster).
   */
  private static Map<String, List<String>> byCycle(List<TrainingBatch> batches, String attribute) {
    Map<String, List<String>> out = new TreeMap<>();
    for (TrainingBatch b : batches) {
      for (BatchExample e : b.getExamples()) {
        String group = attribute == null ? "" : e.getGroups().get(attribute);
        out.computeIfAbsent(
                e.getClusterId() + "/" + group + "#" + e.getCycle(), k -> new ArrayList<>())
            .add(e.getId());
      }
    }
    return out;
  }

  /** The ids the pool holds per (cluster, group value of {@code attribute}). */
  private static Map<String, Set<String>> pooledBy(Sieve sieve, String attribute) {
    Map<String, Set<String>> out = new TreeMap<>();
    KeyValueStore<Bytes, BatchExample> pool = sieve.driver.getKeyValueStore(Stores.POOL);
    try (KeyValueIterator<Bytes, BatchExample> it = pool.all()) {
      it.forEachRemaining(
          kv -> {
            String group = attribute == null ? "" : kv.value.getGroups().get(attribute);
            out.computeIfAbsent(PoolKeys.clusterOf(kv.key) + "/" + group, k -> new TreeSet<>())
                .add(kv.value.getId());
          });
    }
    return out;
  }

  /**
   * Asserts that no id repeats within a cycle and that every cycle before a group's last served
   * each of the group's pooled items once; returns the number of such whole cycles per group.
   */
  private static Map<String, Integer> assertWholeCycles(
      Map<String, List<String>> byCycle, Map<String, Set<String>> pooled) {
    byCycle.forEach((cycle, ids) -> assertThat(ids).as(cycle).doesNotHaveDuplicates());
    Map<String, Integer> whole = new TreeMap<>();
    for (Map.Entry<String, Set<String>> g : pooled.entrySet()) {
      int last = -1;
      while (byCycle.containsKey(g.getKey() + "#" + (last + 1))) {
        last++;
      }
      for (int c = 0; c < last; c++) {
        assertThat(byCycle.get(g.getKey() + "#" + c))
            .as("%s cycle %d", g.getKey(), c)
            .containsExactlyInAnyOrderElementsOf(g.getValue());
      }
      whole.put(g.getKey(), Math.max(0, last));
    }
    assertThat(byCycle.keySet())
        .as("cycles of groups the pool holds, numbered from 0 without gaps")
        .allSatisfy(
            k -> {
              String group = k.substring(0, k.indexOf('#'));
              int c = Integer.parseInt(k.substring(k.indexOf('#') + 1));
              assertThat(pooled).containsKey(group);
              assertThat(c).isLessThanOrEqualTo(whole.get(group));
            });
    return whole;
  }

  @Test
  void shouldDropADeletedTrainersServedMarksAndScoresFromThePool() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given a coverage trainer (served marks) whose feedback scores the examples it was served,
      // beside a second trainer that stays
      sieve.fill();
      sieve.spec(CoveragePolicy.NAME, 12, Map.of());
      sieve.run(
          6,
          b -> {
            Map<String, Double> losses = new TreeMap<>();
            b.getExamples().forEach(e -> losses.put(e.getId(), 1.0 + losses.size()));
            return TrainerFeedback.newBuilder().setExampleLosses(losses);
          });
      sieve.trainers.pipeInput(
          "t2",
          TrainerSpec.newBuilder()
              .setTrainerId("t2")
              .setPolicy(CoveragePolicy.NAME)
              .setBatchSize(12)
              .setWindow(1)
              .setSeed(5)
              .build());
      sieve.harness.batches("t2").readValuesToList();
      assertThat(pooledStateOf(sieve, TRAINER)).allMatch(n -> n > 0);
      assertThat(pooledStateOf(sieve, "t2").get(0)).isPositive();

      // When the first trainer is deleted
      sieve.trainers.pipeInput(TRAINER, (TrainerSpec) null);
      sieve.settle();

      // Then the pool holds neither its served marks nor its scores, and the other's marks stay
      assertThat(pooledStateOf(sieve, TRAINER)).containsExactly(0L, 0L);
      assertThat(pooledStateOf(sieve, "t2").get(0)).isPositive();
    }
  }

  /** The trainer's served marks and scores in the pool's stores, over every cluster. */
  private static List<Long> pooledStateOf(Sieve sieve, String trainer) {
    KeyValueStore<Bytes, ServedMark> served = sieve.driver.getKeyValueStore(Stores.SERVED);
    KeyValueStore<Bytes, ScoreEntry> scores = sieve.driver.getKeyValueStore(Stores.SCORES);
    long marks = 0;
    long own = 0;
    for (int cluster : new TreeSet<>(sieve.clusterOfTopic().values())) {
      try (KeyValueIterator<Bytes, ServedMark> it =
          served.range(
              PoolKeys.served(cluster, trainer, 0),
              PoolKeys.served(cluster, trainer, Long.MAX_VALUE))) {
        while (it.hasNext()) {
          it.next();
          marks++;
        }
      }
      try (KeyValueIterator<Bytes, ScoreEntry> it =
          scores.range(
              PoolKeys.score(cluster, trainer, 0),
              PoolKeys.score(cluster, trainer, Long.MAX_VALUE))) {
        while (it.hasNext()) {
          it.next();
          own++;
        }
      }
    }
    return List.of(marks, own);
  }

  @Test
  void shouldRepeatNoExampleWithinACycleUnderGroupTargetsAndCoverage() {
    try (Sieve sieve = new Sieve(temp)) {
      // Given a full pool (17 fr and 33 en per topic), a trainer wanting exactly half fr, and a
      // second drawing by coverage (no losses: nothing is pruned)
      sieve.fill();
      sieve.spec("cluster-balanced", 12, Map.of(GroupQuotas.TARGETS, "lang=fr:0.5"));
      TestOutputTopic<String, TrainingBatch> other = sieve.harness.batches("t2");
      sieve.trainers.pipeInput(
          "t2",
          TrainerSpec.newBuilder()
              .setTrainerId("t2")
              .setPolicy(CoveragePolicy.NAME)
              .setBatchSize(12)
              .setWindow(1)
              .setSeed(5)
              .setParams(Map.of(CoveragePolicy.BETA, "0.3", CoveragePolicy.STRATA, "4"))
              .build());
      // When both acknowledge 40 batches
      List<TrainingBatch> targeted = new ArrayList<>();
      List<TrainingBatch> covered = new ArrayList<>();
      Runnable rounds =
          () -> {
            for (int r = 0; r < 20; r++) {
              targeted.addAll(sieve.run(1, b -> TrainerFeedback.newBuilder()));
              List<TrainingBatch> got = other.readValuesToList();
              assertThat(got).hasSize(1);
              covered.add(got.get(0));
              sieve.feedback.pipeInput(
                  "t2",
                  TrainerFeedback.newBuilder()
                      .setTrainerId("t2")
                      .setBatchId(got.get(0).getBatchId())
                      .build());
            }
          };
      rounds.run();
      rounds.run();
      // Then every batch keeps its exact counts and is complete
      for (TrainingBatch b : targeted) {
        assertThat(b.getGroupCounts()).containsEntry("lang=fr", 6).containsEntry("lang=en", 6);
        assertThat(b.getComplete()).isTrue();
      }
      for (TrainingBatch b : covered) {
        assertThat(ids(b)).hasSize(12).doesNotHaveDuplicates();
      }
      // and within each (cluster, value) cycle of the first trainer and each cluster cycle of the
      // second no example repeats, and every cycle that ended served each pooled example once:
      // 240 fr draws over 51 fr make four whole cycles or more per cluster, 240 en over 99 two
      Map<String, Integer> whole =
          assertWholeCycles(byCycle(targeted, "lang"), pooledBy(sieve, "lang"));
      assertThat(whole).hasSize(6);
      whole.forEach(
          (group, n) ->
              assertThat(n).as(group).isGreaterThanOrEqualTo(group.endsWith("/fr") ? 3 : 1));
      Map<String, Integer> wholeCovered =
          assertWholeCycles(byCycle(covered, null), pooledBy(sieve, null));
      assertThat(wholeCovered.values().stream().mapToInt(Integer::intValue).sum())
          .as("whole coverage cycles over the clusters, of 480 draws over 150 items")
          .isGreaterThanOrEqualTo(2);

      // When 25 more examples per topic arrive (the reservoir replaces some) and 40 more batches
      // go by
      for (int i = 50; i < 75; i++) {
        for (int t = 0; t < TOPICS.length; t++) {
          TrainingExample e = topical(t, i);
          sieve.examples.pipeInput(e.getId(), e);
        }
      }
      sieve.settle();
      int before = targeted.size();
      rounds.run();
      rounds.run();
      // Then still no example repeats within a cycle, counts stay exact, and the newcomers the
      // pool took are served
      for (TrainingBatch b : targeted.subList(before, targeted.size())) {
        assertThat(b.getGroupCounts()).containsEntry("lang=fr", 6).containsEntry("lang=en", 6);
        assertThat(b.getComplete()).isTrue();
      }
      byCycle(targeted, "lang").forEach((c, ids) -> assertThat(ids).as(c).doesNotHaveDuplicates());
      byCycle(covered, null).forEach((c, ids) -> assertThat(ids).as(c).doesNotHaveDuplicates());
      Set<String> newcomers = new TreeSet<>();
      pooledBy(sieve, null).values().forEach(newcomers::addAll);
      newcomers.removeIf(id -> Integer.parseInt(id.substring(id.indexOf('-') + 1)) < 50);
      assertThat(newcomers).isNotEmpty();
      Set<String> servedLate = new TreeSet<>();
      targeted.subList(before, targeted.size()).forEach(b -> servedLate.addAll(ids(b)));
      covered.subList(before, covered.size()).forEach(b -> servedLate.addAll(ids(b)));
      assertThat(servedLate).containsAll(newcomers);
    }
  }

  // ---------------------------------------------------------------- determinism

  /** A scripted run: exp3 with a group minimum, losses per cluster and per example. */
  private static List<List<String>> scripted(Path dir) {
    try (Sieve sieve = new Sieve(dir)) {
      sieve.fill();
      sieve.spec(Exp3Policy.NAME, 12, Map.of(GroupQuotas.MINIMUM, "lang=fr:0.4"));
      List<TrainingBatch> batches =
          sieve.run(
              12,
              b -> {
                Map<String, Double> perExample = new TreeMap<>();
                b.getExamples().forEach(e -> perExample.put(e.getId(), e.getId().length() / 10.0));
                return lossByTopic(Map.of("kafka", 2.0, "football", 1.0, "baking", 0.5))
                    .apply(b)
                    .setExampleLosses(perExample);
              });
      return batches.stream().map(PoliciesTopologyTest::ids).toList();
    }
  }

  @Test
  void shouldGiveTheSameBatchesForTheSameInputSeedAndFeedback() {
    // Given the same scripted input, seed and feedback, run twice from empty state
    List<List<String>> first = scripted(temp.resolve("one"));
    List<List<String>> second = scripted(temp.resolve("two"));
    // Then the batches are identical, example for example
    assertThat(first).hasSize(12);
    assertThat(second).isEqualTo(first);
    assertThat(new HashSet<>(first)).hasSizeGreaterThan(1);
  }

  private static Map<String, String> withRoundOfOneBatch(Map<String, String> params) {
    Map<String, String> out = new java.util.TreeMap<>(params);
    out.put(ROUND_BATCHES, "1");
    return out;
  }
}
