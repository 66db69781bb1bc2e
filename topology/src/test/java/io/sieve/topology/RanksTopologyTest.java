package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.assemble.Shards;
import io.sieve.avro.BatchExample;
import io.sieve.avro.BatchManifest;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.ManifestExample;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel trainers: a spec with {@code ranks} R gets each batch as R records, one per rank,
 * whose examples are disjoint, equal in number and together the batch, chosen by a shuffle seeded
 * from the batch's seed and sequence; one manifest per batch names each example's rank.
 */
class RanksTopologyTest {

  private static final int DIMENSION = 16;
  private static final String TRAINER = "dp";
  private static final String[] TOPICS = {"kafka", "football", "baking"};

  @TempDir Path stateDir;

  private DriverHarness harness;
  private TestInputTopic<String, TrainerSpec> trainers;
  private TestInputTopic<String, TrainerFeedback> feedback;
  private TestOutputTopic<Bytes, DeadLetter> deadLetters;
  private TestOutputTopic<String, TrainingBatch> batches;
  private TestOutputTopic<String, BatchManifest> manifests;

  @BeforeEach
  void startDriver() {
    Map<String, Object> props = DriverHarness.props("sieve-ranks-test", stateDir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 20);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 3);
    props.put(SieveConfig.POOL_CAPACITY_CONFIG, 50);
    props.put(SieveConfig.DEDUP_NEAR_POLICY_CONFIG, "keep");
    harness = new DriverHarness(props);
    Topics topics = harness.topics();
    trainers = harness.input(topics.trainers());
    feedback = harness.input(topics.feedback());
    deadLetters = harness.output(topics.deadLetters());
    batches = harness.batches(TRAINER);
    manifests = harness.output(topics.manifests());
    TestInputTopic<String, TrainingExample> examples = harness.input(topics.examples());
    for (int i = 0; i < 20; i++) {
      for (int t = 0; t < TOPICS.length; t++) {
        TrainingExample e = topical(t, i);
        examples.pipeInput(e.getId(), e);
      }
    }
    harness.settle();
  }

  @AfterEach
  void closeDriver() {
    harness.close();
  }

  /** Example {@code i} of topic {@code t}, near the topic's own axis: three clear clusters. */
  private static TrainingExample topical(int t, int i) {
    List<Float> embedding = DriverHarness.nearAxis(t * 5, i, DIMENSION);
    return TrainingExample.newBuilder()
        .setId(TOPICS[t] + "-" + i)
        .setText(TOPICS[t] + " text number " + i)
        .setEmbedding(embedding)
        .setGroups(Map.of("topic", TOPICS[t]))
        .build();
  }

  private static TrainerSpec spec(int batchSize, int ranks) {
    return TrainerSpec.newBuilder()
        .setTrainerId(TRAINER)
        .setPolicy("cluster-balanced")
        .setBatchSize(batchSize)
        .setWindow(2)
        .setSeed(7)
        .setRanks(ranks)
        .build();
  }

  private void put(TrainerSpec spec) {
    trainers.pipeInput(TRAINER, spec);
    harness.settle();
  }

  private void ack(String batchId) {
    feedback.pipeInput(
        TRAINER, TrainerFeedback.newBuilder().setTrainerId(TRAINER).setBatchId(batchId).build());
    harness.settle();
  }

  private static List<String> ids(List<BatchExample> examples) {
    return examples.stream().map(BatchExample::getId).toList();
  }

  /** The records written, by batch sequence, each batch's shards in the order written. */
  private static Map<Long, List<TrainingBatch>> bySequence(List<TrainingBatch> records) {
    Map<Long, List<TrainingBatch>> out = new TreeMap<>();
    for (TrainingBatch b : records) {
      out.computeIfAbsent(b.getSequence(), s -> new ArrayList<>()).add(b);
    }
    return out;
  }

  /** Asserts that each batch was written as {@code ranks} disjoint, equal shards of its whole. */
  private static void assertSharded(Map<Long, List<TrainingBatch>> written, int ranks, int size) {
    for (List<TrainingBatch> shards : written.values()) {
      assertThat(shards).hasSize(ranks);
      Set<String> union = new HashSet<>();
      for (int r = 0; r < ranks; r++) {
        TrainingBatch shard = shards.get(r);
        assertThat(shard.getRank()).isEqualTo(r);
        assertThat(shard.getRanks()).isEqualTo(ranks);
        assertThat(shard.getBatchId()).isEqualTo(shards.get(0).getBatchId());
        assertThat(shard.getComplete()).isTrue();
        assertThat(shard.getRequested()).isEqualTo(size);
        assertThat(shard.getExamples()).hasSize(size / ranks);
        for (String id : ids(shard.getExamples())) {
          assertThat(union.add(id)).as("%s in two shards", id).isTrue();
        }
      }
      assertThat(union).hasSize(size);
    }
  }

  @Test
  void shouldWriteEachBatchAsDisjointEqualShardsOnePerRank() {
    // When a trainer with 3 ranks asks for batches of 12 with a window of 2
    put(spec(12, 3));

    // Then each of its two batches is written as 3 records, ranks 0, 1, 2 of 3, of 4 examples
    // each, no example in two shards, 12 in all
    Map<Long, List<TrainingBatch>> written = bySequence(batches.readValuesToList());
    assertThat(written.keySet()).containsExactly(0L, 1L);
    assertSharded(written, 3, 12);
    assertThat(deadLetters.isEmpty()).isTrue();

    // and one manifest per batch lists its 12 examples, each with the rank whose shard held it
    List<BatchManifest> written2 = manifests.readValuesToList();
    assertThat(written2).hasSize(2);
    for (BatchManifest m : written2) {
      assertThat(m.getRanks()).isEqualTo(3);
      Map<String, Integer> rankOf = new TreeMap<>();
      for (TrainingBatch shard : written.get(m.getSequence())) {
        shard.getExamples().forEach(e -> rankOf.put(e.getId(), shard.getRank()));
      }
      Map<String, Integer> listed = new TreeMap<>();
      m.getExamples().forEach(x -> listed.put(x.getId(), x.getRank()));
      assertThat(listed).isEqualTo(rankOf);

      // and the split is the one the batch's seed and sequence give: replayable from the manifest
      int[] replayed =
          Shards.ranks(m.getExamples().size(), m.getRanks(), m.getSeed(), m.getSequence());
      for (int i = 0; i < replayed.length; i++) {
        assertThat(m.getExamples().get(i).getRank()).isEqualTo(replayed[i]);
      }
    }
  }

  @Test
  void shouldAcknowledgeAGlobalBatchOnceWhicheverRankSendsFeedbackFirst() {
    put(spec(12, 3));
    Map<Long, List<TrainingBatch>> written = bySequence(batches.readValuesToList());
    String first = written.get(0L).get(0).getBatchId();

    // When one rank acknowledges batch 0
    ack(first);

    // Then its credit comes back: exactly one more batch, again as 3 shards
    Map<Long, List<TrainingBatch>> more = bySequence(batches.readValuesToList());
    assertThat(more.keySet()).containsExactly(2L);
    assertSharded(more, 3, 12);
    assertThat(deadLetters.isEmpty()).isTrue();

    // When another rank sends feedback for the same batch
    ack(first);

    // Then it earns no second credit: no batch, and a dead letter saying it was acknowledged
    assertThat(batches.isEmpty()).isTrue();
    List<DeadLetter> letters = deadLetters.readValuesToList();
    assertThat(letters).hasSize(1);
    assertThat(letters.get(0).getReason()).isEqualTo("late-feedback");
    assertThat(letters.get(0).getError()).contains(first).contains("acknowledged already");
  }

  @Test
  void shouldSplitForTheNewRankCountAfterARestartWithAnother() {
    put(spec(12, 3));
    Map<Long, List<TrainingBatch>> before = bySequence(batches.readValuesToList());
    assertThat(before.keySet()).containsExactly(0L, 1L);

    // When the trainer comes back with 2 ranks (a changed spec: its window starts afresh)
    put(spec(12, 2));

    // Then the next two batches, sequences 6 and 7 (2 to 5 were staged for the former spec, twice
    // the window of a policy feedback does not steer, and are discarded), come as 2 shards of 6
    Map<Long, List<TrainingBatch>> after = bySequence(batches.readValuesToList());
    assertThat(after.keySet()).containsExactly(6L, 7L);
    assertSharded(after, 2, 12);
    List<BatchManifest> written = manifests.readValuesToList();
    assertThat(written.stream().map(BatchManifest::getRanks)).containsExactly(3, 3, 2, 2);
    for (BatchManifest m : written.subList(2, 4)) {
      assertThat(m.getExamples().stream().map(ManifestExample::getRank)).containsOnly(0, 1);
    }

    // and feedback from a rank of the former layout returns no credit: it names a replaced spec
    ack(before.get(0L).get(1).getBatchId());
    assertThat(batches.isEmpty()).isTrue();
    assertThat(deadLetters.readValuesToList())
        .extracting(DeadLetter::getReason)
        .containsExactly("former-spec");
  }

  @Test
  void shouldDeadLetterRanksThatDoNotDivideTheBatch() {
    // When a spec asks for 5 ranks of a batch of 12
    put(spec(12, 5));

    // Then nothing is planned, and the dead letter says why
    assertThat(batches.isEmpty()).isTrue();
    DeadLetter letter = deadLetters.readValuesToList().get(0);
    assertThat(letter.getReason()).isEqualTo("ranks-not-dividing-batch");
    assertThat(letter.getError()).contains("batchSize 12").contains("ranks 5");
  }

  @Test
  void shouldWriteOneRankBatchesAsBeforeWithRankZeroOfOne() {
    put(spec(12, 1));

    List<TrainingBatch> written = batches.readValuesToList();
    assertThat(written).hasSize(2);
    for (TrainingBatch b : written) {
      assertThat(b.getRank()).isZero();
      assertThat(b.getRanks()).isEqualTo(1);
      assertThat(ids(b.getExamples())).hasSize(12).doesNotHaveDuplicates();
    }
    assertThat(manifests.readValuesToList())
        .allSatisfy(
            m -> assertThat(m.getExamples()).extracting(ManifestExample::getRank).containsOnly(0));
  }
}
