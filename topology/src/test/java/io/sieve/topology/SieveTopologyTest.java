package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.BatchExample;
import io.sieve.avro.BatchManifest;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.ManifestExample;
import io.sieve.avro.ScoreEntry;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.cluster.Vectors;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.serde.Embeddings;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole topology in a {@link TopologyTestDriver}: wall-clock punctuations are driven by hand.
 *
 * <p>The driver feeds records written to a global store's source topic straight back into that
 * global store (as it does for repartition topics), so the centroid model and the cluster
 * statistics reach the planner and the assigner without any help from the test; {@link
 * #shouldBootstrapModelAfterBootstrapSizeSamples} checks that this holds.
 */
class SieveTopologyTest {

  private static final int DIMENSION = 16;
  private static final int BOOTSTRAP = 20;
  private static final String TRAINER = "t1";

  @TempDir Path stateDir;

  private DriverHarness harness;
  private TopologyTestDriver driver;
  private SieveMetrics metrics;
  private TestInputTopic<String, TrainingExample> examples;
  private TestInputTopic<String, TrainerSpec> trainers;
  private TestInputTopic<String, TrainerFeedback> feedback;
  private TestOutputTopic<Bytes, DeadLetter> deadLetters;
  private TestOutputTopic<String, CentroidModel> centroids;
  private TestOutputTopic<Integer, ClusterStats> clusterStats;
  private TestOutputTopic<String, TrainingBatch> batches;

  @BeforeEach
  void startDriver() {
    Map<String, Object> props = DriverHarness.props("sieve-test", stateDir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, BOOTSTRAP);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 3);
    props.put(SieveConfig.POOL_CAPACITY_CONFIG, 50);
    // the fixture's embeddings repeat every 7 examples of a topic; near duplicates are tested in
    // NearDuplicateTopologyTest
    props.put(SieveConfig.DEDUP_NEAR_POLICY_CONFIG, "keep");
    harness = new DriverHarness(props);
    driver = harness.driver();
    metrics = harness.metrics();
    Topics topics = harness.topics();
    examples = harness.input(topics.examples());
    trainers = harness.input(topics.trainers());
    feedback = harness.input(topics.feedback());
    deadLetters = harness.output(topics.deadLetters());
    centroids = harness.output(topics.centroids());
    clusterStats = harness.output(topics.clusterStats());
    batches = harness.batches(TRAINER);
  }

  @AfterEach
  void closeDriver() {
    harness.close();
  }

  // ---------------------------------------------------------------- helpers

  private static final String[] TOPICS = {"kafka", "football", "baking"};
  private static final String[][] WORDS = {
    {"broker", "partition", "offset", "consumer", "producer", "topic"},
    {"goal", "striker", "keeper", "penalty", "league", "referee"},
    {"flour", "sugar", "butter", "oven", "dough", "whisk"}
  };

  /**
   * Example {@code i} of topic {@code t}: text about the topic, and an embedding close to the
   * topic's own axis so that the three topics form three clearly separate clusters.
   */
  private static TrainingExample topical(int t, int i) {
    List<Float> embedding = DriverHarness.nearAxis(t * 5, i, DIMENSION);
    String[] w = WORDS[t];
    return TrainingExample.newBuilder()
        .setId(TOPICS[t] + "-" + i)
        .setText(w[i % w.length] + " " + w[(i + 1) % w.length] + " number " + i)
        .setEmbedding(embedding)
        .setGroups(Map.of("topic", TOPICS[t]))
        .build();
  }

  private void pipe(TrainingExample example) {
    examples.pipeInput(example.getId(), example);
  }

  /**
   * Pipes {@code perTopic} examples of each of the three topics, interleaved; returns their ids.
   */
  private List<String> pipeTopical(int perTopic) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < perTopic; i++) {
      for (int t = 0; t < TOPICS.length; t++) {
        TrainingExample e = topical(t, i);
        pipe(e);
        ids.add(e.getId());
      }
    }
    return ids;
  }

  /**
   * Lets the wall-clock punctuations run for a while: sample flush, bootstrap, model refresh, pool
   * statistics and planning all fire several times.
   */
  private void settle() {
    harness.settle();
  }

  /** Pool size per cluster as the planner sees it, from the global cluster-stats store. */
  private Map<Integer, Long> poolSizes() {
    KeyValueStore<Integer, ClusterStats> store = driver.getKeyValueStore(Stores.CLUSTER_STATS);
    Map<Integer, Long> sizes = new TreeMap<>();
    try (KeyValueIterator<Integer, ClusterStats> it = store.all()) {
      it.forEachRemaining(kv -> sizes.put(kv.key, kv.value.getSize()));
    }
    return sizes;
  }

  private void spec(TrainerSpec spec) {
    trainers.pipeInput(spec.getTrainerId(), spec);
  }

  private static TrainerSpec.Builder specOf(String policy, int batchSize, int window) {
    return TrainerSpec.newBuilder()
        .setTrainerId(TRAINER)
        .setPolicy(policy)
        .setBatchSize(batchSize)
        .setWindow(window)
        .setSeed(11);
  }

  private void ack(String batchId) {
    feedback.pipeInput(
        TRAINER, TrainerFeedback.newBuilder().setTrainerId(TRAINER).setBatchId(batchId).build());
  }

  private static List<String> ids(TrainingBatch batch) {
    return batch.getExamples().stream().map(BatchExample::getId).toList();
  }

  private DeadLetter onlyDeadLetter() {
    List<KeyValue<Bytes, DeadLetter>> letters = deadLetters.readKeyValuesToList();
    assertThat(letters).hasSize(1);
    return letters.get(0).value;
  }

  // ---------------------------------------------------------------- validation

  @Test
  void shouldDeadLetterMissingId() {
    // Given a valid example at offset 0, then one with a blank id at offset 1
    pipe(topical(0, 0));
    examples.pipeInput(
        "key-of-nameless", TrainingExample.newBuilder(topical(0, 1)).setId(" ").build());

    // Then one dead letter says where the record was and why it was refused
    DeadLetter letter = onlyDeadLetter();
    assertThat(letter.getStage()).isEqualTo("validate");
    assertThat(letter.getReason()).isEqualTo("missing-id");
    assertThat(letter.getTopic()).isEqualTo("sieve.examples");
    assertThat(letter.getPartition()).isZero();
    assertThat(letter.getOffset()).isEqualTo(1L);
    assertThat(letter.getRecordId()).isEqualTo("key-of-nameless");
    assertThat(letter.getValue()).as("the original record travels with the letter").isNotNull();
  }

  @Test
  void shouldDeadLetterWrongDimensionEmbedding() {
    // Given an example whose embedding has 15 values instead of 16
    pipe(topical(1, 0));
    TrainingExample e = topical(1, 1);
    pipe(
        TrainingExample.newBuilder(e)
            .setEmbedding(new ArrayList<>(e.getEmbedding().subList(0, DIMENSION - 1)))
            .build());

    // Then it is dead-lettered for its dimension
    DeadLetter letter = onlyDeadLetter();
    assertThat(letter.getStage()).isEqualTo("validate");
    assertThat(letter.getReason()).isEqualTo("wrong-dimension");
    assertThat(letter.getRecordId()).isEqualTo(e.getId());
    assertThat(letter.getTopic()).isEqualTo("sieve.examples");
    assertThat(letter.getOffset()).isEqualTo(1L);
    assertThat(letter.getError()).contains("15").contains("16");
  }

  @Test
  void shouldDeadLetterNonFiniteEmbedding() {
    // Given an example whose embedding holds a NaN
    TrainingExample e = topical(2, 0);
    List<Float> embedding = new ArrayList<>(e.getEmbedding());
    embedding.set(3, Float.NaN);
    pipe(TrainingExample.newBuilder(e).setEmbedding(embedding).build());

    // Then it is dead-lettered as non-finite
    DeadLetter letter = onlyDeadLetter();
    assertThat(letter.getStage()).isEqualTo("validate");
    assertThat(letter.getReason()).isEqualTo("non-finite-embedding");
    assertThat(letter.getRecordId()).isEqualTo(e.getId());
    assertThat(letter.getTopic()).isEqualTo("sieve.examples");
    assertThat(letter.getOffset()).isZero();
  }

  @Test
  void shouldDeadLetterNoTextAndNoEmbedding() {
    // Given two valid examples, then one with neither text nor embedding
    pipe(topical(0, 0));
    pipe(topical(0, 1));
    pipe(TrainingExample.newBuilder().setId("empty").build());

    // Then it is dead-lettered for lack of content
    DeadLetter letter = onlyDeadLetter();
    assertThat(letter.getStage()).isEqualTo("validate");
    assertThat(letter.getReason()).isEqualTo("no-content");
    assertThat(letter.getRecordId()).isEqualTo("empty");
    assertThat(letter.getTopic()).isEqualTo("sieve.examples");
    assertThat(letter.getOffset()).isEqualTo(2L);
    assertThat(metrics.deadLettersByReason()).containsEntry("no-content", 1L);
  }

  // ---------------------------------------------------------------- dedup, clustering, pool

  @Test
  void shouldDropExactDuplicateText() {
    // Given 24 distinct examples and one more that copies the text of the first under another id
    List<String> ids = pipeTopical(8);
    TrainingExample first = topical(0, 0);
    pipe(TrainingExample.newBuilder(first).setId("copy-of-" + first.getId()).build());

    // When the model is made and the pool has taken everything
    settle();

    // Then the copy never reaches the pool: it holds the 24 originals only
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(metrics.duplicates()).isEqualTo(1);
    assertThat(metrics.pooledCount()).isEqualTo(ids.size());
    assertThat(poolSizes().values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(ids.size());
    // the published statistics agree: the last figures of every cluster add up to 24
    Map<Integer, ClusterStats> latest = new TreeMap<>();
    clusterStats.readKeyValuesToList().forEach(kv -> latest.put(kv.key, kv.value));
    assertThat(latest.values().stream().mapToLong(ClusterStats::getSize).sum())
        .isEqualTo(ids.size());
  }

  @Test
  void shouldBootstrapModelAfterBootstrapSizeSamples() {
    // Given more examples than the bootstrap needs
    pipeTopical(8);
    assertThat(centroids.isEmpty()).as("no model before the samples are flushed").isTrue();

    // When the punctuations run
    settle();

    // Then the first model written is version 1 with at most k.init clusters
    List<KeyValue<String, CentroidModel>> models = centroids.readKeyValuesToList();
    assertThat(models).isNotEmpty();
    KeyValue<String, CentroidModel> first = models.get(0);
    assertThat(first.key).isEqualTo(Topics.MODEL_KEY);
    assertThat(first.value.getVersion()).isEqualTo(1L);
    assertThat(first.value.getDimension()).isEqualTo(DIMENSION);
    assertThat(first.value.getClusters()).hasSizeBetween(1, 3);
    // the three well separated topics give three clusters
    assertThat(first.value.getClusters()).hasSize(3);
    // and the model reached the global store, where the assigner reads it
    CentroidModel global =
        driver.<String, CentroidModel>getKeyValueStore(Stores.CENTROIDS).get(Topics.MODEL_KEY);
    assertThat(global).isNotNull();
    assertThat(global.getVersion()).isEqualTo(models.get(models.size() - 1).value.getVersion());
    // so every waiting example was assigned and pooled
    assertThat(metrics.pooledCount()).isEqualTo(24);
  }

  // ---------------------------------------------------------------- batches

  @Test
  void shouldEmitBatchForTrainerWithCredit() {
    // Given 60 pooled examples on three topics
    pipeTopical(20);
    settle();

    // When a uniform trainer with a window of 2 asks for batches of 10
    spec(specOf("uniform", 10, 2).build());
    settle();

    // Then exactly two complete batches of 10 distinct examples are written
    List<KeyValue<String, TrainingBatch>> written = batches.readKeyValuesToList();
    assertThat(written).hasSize(2);
    for (KeyValue<String, TrainingBatch> kv : written) {
      TrainingBatch b = kv.value;
      assertThat(kv.key).isEqualTo(TRAINER);
      assertThat(b.getTrainerId()).isEqualTo(TRAINER);
      assertThat(b.getComplete()).isTrue();
      assertThat(b.getRequested()).isEqualTo(10);
      assertThat(b.getMissingClusters()).isEmpty();
      assertThat(ids(b)).hasSize(10).doesNotHaveDuplicates();
      assertThat(b.getClusterCounts().values().stream().mapToInt(Integer::intValue).sum())
          .isEqualTo(10);
    }
    assertThat(written.stream().map(kv -> kv.value.getSequence())).containsExactly(0L, 1L);

    // When the trainer acknowledges the first batch
    ack(written.get(0).value.getBatchId());
    settle();

    // Then one more batch follows, and only one: batch 2, staged (planned with 0 and 1, before
    // any feedback: the default stage is the window)
    List<TrainingBatch> more = batches.readValuesToList();
    assertThat(more).hasSize(1);
    assertThat(more.get(0).getSequence()).isEqualTo(2L);
    assertThat(more.get(0).getRound()).isEqualTo(0L);
    assertThat(ids(more.get(0))).hasSize(10).doesNotHaveDuplicates();
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void shouldWriteEachExamplesNormalisedEmbeddingAsFloatsWhilePoolingItPacked() {
    // Given 60 examples on three topics, waiting for the first model
    Map<String, float[]> expected = normalisedInputs(20);

    // Then the validated examples wait packed, without a float list
    KeyValueStore<String, TrainingExample> awaiting =
        driver.getKeyValueStore(Stores.AWAITING_MODEL);
    int waiting = 0;
    try (KeyValueIterator<String, TrainingExample> it = awaiting.all()) {
      while (it.hasNext()) {
        TrainingExample e = it.next().value;
        assertThat(e.getEmbedding()).as(e.getId()).isNull();
        assertThat(Embeddings.of(e)).as(e.getId()).containsExactly(expected.get(e.getId()));
        waiting++;
      }
    }
    assertThat(waiting).isEqualTo(60);

    // When the model bootstraps and the examples are pooled
    settle();

    // Then the pool store holds every embedding packed, without a float list
    KeyValueStore<Bytes, BatchExample> pool = driver.getKeyValueStore(Stores.POOL);
    int pooled = 0;
    try (KeyValueIterator<Bytes, BatchExample> it = pool.all()) {
      while (it.hasNext()) {
        BatchExample e = it.next().value;
        assertThat(e.getEmbedding()).as(e.getId()).isNull();
        assertThat(Embeddings.of(e)).as(e.getId()).containsExactly(expected.get(e.getId()));
        pooled++;
      }
    }
    assertThat(pooled).isEqualTo(60);

    // When a default trainer asks for batches
    spec(specOf("uniform", 10, 2).build());
    settle();

    // Then each example carries its input embedding, normalised, as floats and not packed
    List<TrainingBatch> written = batches.readValuesToList();
    assertThat(written).hasSize(2);
    for (TrainingBatch b : written) {
      assertThat(b.getVendiScore()).isGreaterThan(1.0);
      for (BatchExample e : b.getExamples()) {
        assertThat(e.getPacked()).as(e.getId()).isNull();
        assertThat(Embeddings.unbox(e.getEmbedding()))
            .as(e.getId())
            .containsExactly(expected.get(e.getId()));
      }
    }
  }

  @Test
  void shouldWritePackedBytesToATrainerThatAsksForThem() {
    // Given 60 pooled examples on three topics
    Map<String, float[]> expected = normalisedInputs(20);
    settle();

    // When a trainer asks for packed embeddings
    spec(specOf("uniform", 10, 2).setPackedEmbeddings(true).build());
    settle();

    // Then each example carries float32 little-endian bytes of its normalised input, and no list
    List<TrainingBatch> written = batches.readValuesToList();
    assertThat(written).hasSize(2);
    for (TrainingBatch b : written) {
      assertThat(b.getVendiScore()).isGreaterThan(1.0);
      for (BatchExample e : b.getExamples()) {
        assertThat(e.getEmbedding()).as(e.getId()).isNull();
        assertThat(e.getPacked().remaining()).isEqualTo(4 * DIMENSION);
        float[] decoded = new float[DIMENSION];
        e.getPacked().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(decoded);
        assertThat(decoded).as(e.getId()).containsExactly(expected.get(e.getId()));
      }
    }
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  /** Pipes {@link #pipeTopical} examples; returns each one's embedding, L2-normalised, by id. */
  private Map<String, float[]> normalisedInputs(int perTopic) {
    Map<String, float[]> out = new HashMap<>();
    for (int i = 0; i < perTopic; i++) {
      for (int t = 0; t < TOPICS.length; t++) {
        TrainingExample e = topical(t, i);
        pipe(e);
        float[] x = Embeddings.unbox(e.getEmbedding());
        Vectors.normalize(x);
        out.put(e.getId(), x);
      }
    }
    return out;
  }

  @Test
  void shouldWriteAManifestMatchingEachBatchExactly() {
    // Given 60 pooled examples on three topics, and a cluster-balanced trainer (whose sampling
    // weights differ from 1) with a window of 2
    pipeTopical(20);
    settle();
    spec(specOf("cluster-balanced", 10, 2).build());
    settle();
    // and feedback with per-example losses on the first batch, so that later batches carry scores
    List<TrainingBatch> first = batches.readValuesToList();
    assertThat(first).hasSize(2);
    Map<String, Double> losses = new TreeMap<>();
    ids(first.get(0)).forEach(id -> losses.put(id, 0.75));
    feedback.pipeInput(
        TRAINER,
        TrainerFeedback.newBuilder()
            .setTrainerId(TRAINER)
            .setBatchId(first.get(0).getBatchId())
            .setExampleLosses(losses)
            .build());
    settle();
    List<TrainingBatch> written = new ArrayList<>(first);
    written.addAll(batches.readValuesToList());
    assertThat(written).hasSizeGreaterThan(2);

    // When the manifests topic is read
    List<KeyValue<String, BatchManifest>> manifests =
        harness.output(harness.topics().manifests()).readKeyValuesToList();

    // Then there is one manifest per batch, in the same order, keyed by the trainer, holding
    // exactly the batch's header and, per example, its id, cluster, cycle, groups, weight, score
    assertThat(manifests).hasSameSizeAs(written);
    boolean weighted = false;
    for (int i = 0; i < written.size(); i++) {
      TrainingBatch b = written.get(i);
      BatchManifest m = manifests.get(i).value;
      assertThat(manifests.get(i).key).isEqualTo(TRAINER);
      assertThat(m.getTrainerId()).isEqualTo(b.getTrainerId());
      assertThat(m.getSequence()).isEqualTo(b.getSequence());
      assertThat(m.getBatchId()).isEqualTo(b.getBatchId());
      assertThat(m.getRound()).isEqualTo(b.getRound());
      assertThat(m.getCycle()).isEqualTo(b.getCycle());
      assertThat(m.getPolicy()).isEqualTo("cluster-balanced").isEqualTo(b.getPolicy());
      assertThat(m.getPolicyStateVersion()).isEqualTo(b.getPolicyStateVersion());
      assertThat(m.getSeed()).isEqualTo(b.getSeed());
      assertThat(m.getModelVersion()).isEqualTo(b.getModelVersion());
      assertThat(m.getRequested()).isEqualTo(b.getRequested());
      assertThat(m.getComplete()).isEqualTo(b.getComplete());
      assertThat(m.getPlannedAt()).isEqualTo(b.getPlannedAt());
      assertThat(m.getCreatedAt()).isEqualTo(b.getAssembledAt());
      assertThat(m.getExamples()).hasSize(b.getExamples().size());
      for (int j = 0; j < b.getExamples().size(); j++) {
        BatchExample e = b.getExamples().get(j);
        ManifestExample x = m.getExamples().get(j);
        assertThat(x.getId()).isEqualTo(e.getId());
        assertThat(x.getClusterId()).isEqualTo(e.getClusterId());
        assertThat(x.getCycle()).isEqualTo(e.getCycle());
        assertThat(x.getGroups()).isEqualTo(e.getGroups());
        assertThat(x.getWeight()).isEqualTo(e.getWeight());
        assertThat(x.getScore()).isEqualTo(e.getScore());
        weighted |= e.getWeight() != 1.0;
      }
    }
    // and the fixture did exercise weights other than 1
    assertThat(weighted).isTrue();
  }

  @Test
  void shouldRegisterTheSchemasOfPublicTopicsOnly() {
    // Given a whole round trip: examples pooled, batches served, feedback with per-example losses
    pipeTopical(20);
    settle();
    spec(specOf("uniform", 10, 1).build());
    settle();
    TrainingBatch batch = batches.readValue();
    Map<String, Double> losses = new TreeMap<>();
    ids(batch).forEach(id -> losses.put(id, 1.5));
    feedback.pipeInput(
        TRAINER,
        TrainerFeedback.newBuilder()
            .setTrainerId(TRAINER)
            .setBatchId(batch.getBatchId())
            .setExampleLosses(losses)
            .build());
    settle();
    assertThat(batches.readValuesToList()).isNotEmpty();

    // Then every repartition topic and changelog was written without a registry call: the
    // registry holds the subjects of the public topics only (keys are not Avro)
    Topics topics = harness.topics();
    assertThat(harness.registry().subjects())
        .contains(topics.batchTopic(TRAINER) + "-value", topics.centroids().name() + "-value")
        .allSatisfy(
            subject ->
                assertThat(subject)
                    .isIn(
                        topics.examples().name() + "-value",
                        topics.trainers().name() + "-value",
                        topics.feedback().name() + "-value",
                        topics.deadLetters().name() + "-value",
                        topics.centroids().name() + "-value",
                        topics.clusterStats().name() + "-value",
                        topics.manifests().name() + "-value",
                        topics.batchTopic(TRAINER) + "-value"));
    // and the trainer's scores store, whose changelog is private, holds the scores the feedback
    // gave
    KeyValueStore<Bytes, ScoreEntry> scores = driver.getKeyValueStore(Stores.SCORES);
    long scored = 0;
    try (KeyValueIterator<Bytes, ScoreEntry> it = scores.all()) {
      while (it.hasNext()) {
        if (losses.containsKey(it.next().value.getId())) {
          scored++;
        }
      }
    }
    assertThat(scored).isEqualTo(losses.size());
  }

  @Test
  void shouldReportEntropyAndVendiOnEveryBatchAndPerClusterPool() {
    // Given 60 pooled examples on three well separated topics
    pipeTopical(20);
    settle();

    // When a cluster-balanced trainer gets a batch of 9
    spec(specOf("cluster-balanced", 9, 1).build());
    settle();

    // Then the batch carries its diversity: three clusters in equal shares, log2(3) bits
    TrainingBatch b = batches.readValuesToList().get(0);
    assertThat(b.getClusterCounts()).hasSize(3);
    assertThat(b.getClusterEntropy()).isCloseTo(Math.log(3) / Math.log(2), within(1e-9));
    assertThat(b.getGroupEntropy().get("topic")).isCloseTo(Math.log(3) / Math.log(2), within(1e-9));
    // three nearly orthogonal topics: between one and a handful of effective directions
    assertThat(b.getVendiScore()).isGreaterThan(2.0).isLessThan(9.0);

    // and every cluster's published statistics carry its pool's Vendi score and sketch
    Map<Integer, ClusterStats> latest = new HashMap<>();
    clusterStats.readKeyValuesToList().forEach(kv -> latest.put(kv.key, kv.value));
    assertThat(latest).isNotEmpty();
    for (ClusterStats s : latest.values()) {
      assertThat(s.getVendi()).isGreaterThanOrEqualTo(1.0);
      assertThat(s.getSketch()).isNotNull();
      // one topic per cluster: far fewer effective directions than the union of all three
      assertThat(io.sieve.diversity.Sketches.unpack(s.getSketch(), s.getSize()).vendi())
          .isCloseTo(s.getVendi(), within(1e-9));
    }
    io.sieve.diversity.SecondMoment union =
        new io.sieve.diversity.SecondMoment(io.sieve.diversity.Sketches.DIMENSION);
    latest
        .values()
        .forEach(s -> union.merge(io.sieve.diversity.Sketches.unpack(s.getSketch(), s.getSize())));
    double widest = latest.values().stream().mapToDouble(ClusterStats::getVendi).max().orElse(0);
    assertThat(union.vendi()).isGreaterThan(widest);
  }

  @Test
  void shouldNotRepeatExampleWithinUniformCycle() {
    // Given a pool of 27 examples
    List<String> pooled = pipeTopical(9);
    settle();
    assertThat(poolSizes().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(27);

    // When a uniform trainer draws twenty batches of 4 (about three passes over the pool)
    spec(specOf("uniform", 4, 20).build());
    settle(); // a window larger than one call's share is planned over the next punctuations
    List<TrainingBatch> written = batches.readValuesToList();

    // Then no cycle holds an example twice
    assertThat(written).hasSize(20);
    Map<Long, List<String>> byCycle = new TreeMap<>();
    for (TrainingBatch b : written) {
      assertThat(b.getComplete()).isTrue();
      assertThat(ids(b)).doesNotHaveDuplicates();
      for (BatchExample e : b.getExamples()) {
        byCycle.computeIfAbsent(e.getCycle(), c -> new ArrayList<>()).add(e.getId());
      }
    }
    assertThat(byCycle.keySet()).contains(0L, 1L, 2L);
    byCycle.forEach((cycle, ids) -> assertThat(ids).as("cycle %d", cycle).doesNotHaveDuplicates());
    // and the first cycle is one full pass over the pool
    assertThat(byCycle.get(0L)).containsExactlyInAnyOrderElementsOf(pooled);
    // the batch's own cycle is the lowest cycle among its examples
    for (TrainingBatch b : written) {
      long lowest = b.getExamples().stream().mapToLong(BatchExample::getCycle).min().orElseThrow();
      assertThat(b.getCycle()).isEqualTo(lowest);
    }
  }

  @Test
  void shouldBalanceClustersWithinOne() {
    // Given 60 pooled examples in three clusters of about 20
    pipeTopical(20);
    settle();
    Map<Integer, Long> sizes = poolSizes();
    assertThat(sizes).hasSize(3);

    // When a cluster-balanced trainer draws six batches of 10
    spec(specOf("cluster-balanced", 10, 6).build());
    List<TrainingBatch> written = batches.readValuesToList();

    // Then in every batch the clusters' shares differ by at most one
    assertThat(written).hasSize(6);
    for (TrainingBatch b : written) {
      assertThat(b.getComplete()).isTrue();
      assertThat(ids(b)).hasSize(10).doesNotHaveDuplicates();
      Map<Integer, Long> counts =
          b.getExamples().stream()
              .collect(Collectors.groupingBy(BatchExample::getClusterId, Collectors.counting()));
      assertThat(counts.keySet()).isEqualTo(sizes.keySet());
      long max = counts.values().stream().mapToLong(Long::longValue).max().orElseThrow();
      long min = counts.values().stream().mapToLong(Long::longValue).min().orElseThrow();
      assertThat(max - min).as("counts %s", counts).isLessThanOrEqualTo(1);
      assertThat(b.getClusterCounts())
          .isEqualTo(
              counts.entrySet().stream()
                  .collect(
                      Collectors.toMap(
                          e -> Integer.toString(e.getKey()), e -> e.getValue().intValue())));
    }
  }

  @Test
  void shouldGiveSmallClusterAllItHasAndShareTheRestEvenly() {
    // Given three clusters, one of them holding only 2 examples
    pipeTopical(2);
    for (int i = 2; i < 14; i++) {
      pipe(topical(0, i));
      pipe(topical(1, i));
    }
    settle();
    Map<Integer, Long> sizes = poolSizes();
    assertThat(sizes.values()).containsExactlyInAnyOrder(2L, 14L, 14L);

    // When a cluster-balanced trainer asks for 11
    spec(specOf("cluster-balanced", 11, 1).build());

    // Then the small cluster gives its 2 and the others split the remaining 9 as 4 and 5
    TrainingBatch b = batches.readValue();
    Map<Integer, Long> counts =
        b.getExamples().stream()
            .collect(Collectors.groupingBy(BatchExample::getClusterId, Collectors.counting()));
    assertThat(counts.values()).containsExactlyInAnyOrder(2L, 4L, 5L);
    sizes.forEach(
        (cluster, size) -> {
          if (size == 2L) {
            assertThat(counts.get(cluster)).isEqualTo(2L);
          }
        });
    assertThat(b.getComplete()).isTrue();
  }

  // ---------------------------------------------------------------- planner dead letters

  @Test
  void shouldDeadLetterUnknownBatchFeedback() {
    // Given a trainer with a spec
    pipeTopical(8);
    settle();
    spec(specOf("uniform", 4, 1).build());
    assertThat(batches.readValuesToList()).hasSize(1);

    // When its feedback names a batch it never got
    ack("t1-999");

    // Then the feedback is dead-lettered by the planner and gives no credit
    DeadLetter letter = onlyDeadLetter();
    assertThat(letter.getStage()).isEqualTo("plan");
    assertThat(letter.getReason()).isEqualTo("unknown-batch");
    assertThat(letter.getRecordId()).isEqualTo("t1-999");
    assertThat(letter.getTopic()).isEqualTo("sieve.feedback");
    assertThat(letter.getOffset()).isZero();
    settle();
    assertThat(batches.isEmpty()).isTrue();
  }

  @Test
  void shouldGiveCreditBackWhenALostBatchOutlivesItsLease() {
    // Given a trainer with a window of 1 that got its first batch
    pipeTopical(20);
    settle();
    spec(specOf("uniform", 10, 1).build());
    List<TrainingBatch> first = batches.readValuesToList();
    assertThat(first).extracting(TrainingBatch::getSequence).containsExactly(0L);

    // When the batch is lost (never acknowledged) and less than the lease goes by
    driver.advanceWallClockTime(Duration.ofMillis(SieveConfig.BATCH_LEASE_DEFAULT / 2));
    settle();

    // Then the credit is still held: no batch, nothing expired
    assertThat(batches.isEmpty()).isTrue();
    assertThat(metrics.leasesExpired()).isEmpty();

    // When the rest of the lease goes by
    driver.advanceWallClockTime(Duration.ofMillis(SieveConfig.BATCH_LEASE_DEFAULT / 2));
    settle();

    // Then the credit came back: batches resume, the expiry is counted and dead-lettered
    List<TrainingBatch> resumed = batches.readValuesToList();
    assertThat(resumed).extracting(TrainingBatch::getSequence).containsExactly(1L);
    assertThat(resumed.get(0).getComplete()).isTrue();
    assertThat(metrics.leasesExpired()).containsExactly(Map.entry(TRAINER, 1L));
    DeadLetter expired = onlyDeadLetter();
    assertThat(expired.getStage()).isEqualTo("plan");
    assertThat(expired.getReason()).isEqualTo("lease-expired");
    assertThat(expired.getRecordId()).isEqualTo(first.get(0).getBatchId());

    // When the lost batch's feedback turns up after all
    ack(first.get(0).getBatchId());
    settle();

    // Then it is dead-lettered as late and earns no second credit
    assertThat(onlyDeadLetter().getReason()).isEqualTo("late-feedback");
    assertThat(batches.isEmpty()).isTrue();

    // When the resumed batch is acknowledged, the next one follows
    ack(resumed.get(0).getBatchId());
    settle();
    assertThat(batches.readValuesToList())
        .extracting(TrainingBatch::getSequence)
        .containsExactly(2L);
    assertThat(metrics.leasesExpired()).containsExactly(Map.entry(TRAINER, 1L));
  }

  @Test
  void shouldResetOutstandingBatchesWhenTheSpecChanges() {
    // Given a trainer with a window of 1 whose batch is outstanding
    pipeTopical(20);
    settle();
    spec(specOf("uniform", 10, 1).build());
    List<TrainingBatch> first = batches.readValuesToList();
    assertThat(first).hasSize(1);

    // When the same spec is put again, nothing changes: the credit stays held
    spec(specOf("uniform", 10, 1).build());
    settle();
    assertThat(batches.isEmpty()).isTrue();

    // When the spec changes
    spec(specOf("uniform", 8, 1).build());
    settle();

    // Then the new spec starts with its whole window: one batch of the new size at once (batches 1
    // and 2, staged under the former spec, twice its window, were discarded)
    List<TrainingBatch> after = batches.readValuesToList();
    assertThat(after).hasSize(1);
    assertThat(after.get(0).getSequence()).isEqualTo(3L);
    assertThat(after.get(0).getExamples()).hasSize(8);

    // and the former spec's batch earns no credit when its feedback arrives
    ack(first.get(0).getBatchId());
    settle();
    DeadLetter letter = onlyDeadLetter();
    assertThat(letter.getReason()).isEqualTo("former-spec");
    assertThat(letter.getRecordId()).isEqualTo(first.get(0).getBatchId());
    assertThat(batches.isEmpty()).isTrue();
  }

  @Test
  void shouldDeadLetterSpecWithUnknownPolicy() {
    // When a trainer names a policy Sieve does not have
    spec(specOf("loss-weighted-magic", 4, 1).build());

    // Then the spec is dead-lettered by the planner
    DeadLetter letter = onlyDeadLetter();
    assertThat(letter.getStage()).isEqualTo("plan");
    assertThat(letter.getReason()).isEqualTo("unknown-policy");
    assertThat(letter.getRecordId()).isEqualTo(TRAINER);
    assertThat(letter.getTopic()).isEqualTo("sieve.trainers");
    assertThat(letter.getError()).contains("uniform").contains("cluster-balanced");
  }

  @Test
  void shouldDeadLetterSpecWhoseBatchesCannotFit() {
    // When a trainer asks for batches far above batch.max.bytes
    spec(specOf("uniform", 1_000_000, 1).build());

    // Then the spec is dead-lettered by the planner with the size problem
    DeadLetter letter = onlyDeadLetter();
    assertThat(letter.getStage()).isEqualTo("plan");
    assertThat(letter.getReason()).isEqualTo("batch-too-large");
    assertThat(letter.getRecordId()).isEqualTo(TRAINER);
    assertThat(letter.getError()).contains("ids-only");
  }

  @Test
  void shouldNotPlanBeforeThePoolHoldsABatch() {
    // Given a trainer whose batch is larger than the pool
    pipeTopical(8);
    settle();
    spec(specOf("uniform", 30, 1).build());
    settle();
    assertThat(batches.isEmpty()).isTrue();

    // When the pool grows past a batch
    for (int i = 8; i < 12; i++) {
      pipe(topical(0, i));
      pipe(topical(1, i));
    }
    settle();

    // Then the planner's punctuation plans it
    List<List<String>> written = batches.readValuesToList().stream().map(b -> ids(b)).toList();
    assertThat(written).hasSize(1);
    assertThat(written.get(0)).hasSize(30).doesNotHaveDuplicates();
  }
}
