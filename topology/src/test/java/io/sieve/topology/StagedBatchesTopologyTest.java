package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.StagedBatch;
import io.sieve.avro.TrainerControl;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.plan.PlannerProcessor;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.Stores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Staged batches ({@code batch.stage}) through the whole topology: batches planned and assembled
 * ahead of credit wait in the planner's task and go to the trainer the moment its feedback returns
 * credit, always in sequence order; what throws them away; and stage 0, which plans only on credit.
 */
class StagedBatchesTopologyTest {

  private static final int DIMENSION = 16;
  private static final String TRAINER = "st";
  private static final String APP = "sieve-staged";

  @TempDir Path stateDir;

  private DriverHarness harness;
  private TestInputTopic<String, TrainingExample> examples;
  private TestInputTopic<String, TrainerSpec> trainers;
  private TestInputTopic<String, TrainerFeedback> feedback;
  private TestInputTopic<String, TrainerControl> controls;
  private TestOutputTopic<String, TrainingBatch> batches;

  private void startDriver(int stage) {
    Map<String, Object> props = DriverHarness.props(APP, stateDir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 24);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 3);
    props.put(SieveConfig.DEDUP_NEAR_POLICY_CONFIG, "keep");
    props.put(SieveConfig.BATCH_STAGE_CONFIG, stage);
    harness = new DriverHarness(props);
    Topics topics = harness.topics();
    examples = harness.input(topics.examples());
    trainers = harness.input(topics.trainers());
    feedback = harness.input(topics.feedback());
    controls = harness.input(topics.controls());
    batches = harness.batches(TRAINER);
  }

  @AfterEach
  void closeDriver() {
    if (harness != null) {
      harness.close();
    }
  }

  /** 30 pooled examples near each of three axes, then a uniform trainer of the given window. */
  private void poolAndDeclare(int window, long seed) {
    for (int i = 0; i < 30; i++) {
      for (int t = 0; t < 3; t++) {
        TrainingExample e =
            TrainingExample.newBuilder()
                .setId("x" + t + "-" + i)
                .setText("topic " + t + " number " + i)
                .setEmbedding(DriverHarness.nearAxis(t * 5, i, DIMENSION))
                .build();
        examples.pipeInput(e.getId(), e);
      }
    }
    harness.settle();
    declare(window, seed);
  }

  private void declare(int window, long seed) {
    trainers.pipeInput(TRAINER, spec(window, seed));
    harness.settle();
  }

  private static TrainerSpec spec(int window, long seed) {
    return TrainerSpec.newBuilder()
        .setTrainerId(TRAINER)
        .setPolicy("uniform")
        .setBatchSize(6)
        .setWindow(window)
        .setSeed(seed)
        .build();
  }

  /** Feedback for {@code batchId}, piped alone: no punctuation runs after it. */
  private void ack(String batchId) {
    feedback.pipeInput(
        TRAINER, TrainerFeedback.newBuilder().setTrainerId(TRAINER).setBatchId(batchId).build());
  }

  private void control(TrainerControl.Builder c) {
    TrainerControl record = c.setTrainerId(TRAINER).build();
    controls.pipeInput(TRAINER, record);
  }

  private TrainerState state() {
    return harness.driver().<String, TrainerState>getKeyValueStore(Stores.TRAINERS).get(TRAINER);
  }

  private KeyValueStore<String, TrainingBatch> stagedStore() {
    return harness.driver().getKeyValueStore(Stores.STAGED_BATCHES);
  }

  /** The sequences of the batches waiting in the staged store, in key (sequence) order. */
  private List<Long> stagedInStore() {
    List<Long> out = new ArrayList<>();
    try (KeyValueIterator<String, TrainingBatch> it = stagedStore().all()) {
      while (it.hasNext()) {
        out.add(it.next().value.getSequence());
      }
    }
    return out;
  }

  /**
   * Takes the staged batches out of the store and marks them not arrived, as if the assembler had
   * not finished them yet (in the driver every hop completes within the record that starts it);
   * returns them, in sequence order, to be piped back through {@link #assembled()}.
   */
  private List<TrainingBatch> takeBackStaged() {
    KeyValueStore<String, TrainingBatch> store = stagedStore();
    List<TrainingBatch> out = new ArrayList<>();
    TrainerState state = state();
    for (StagedBatch b : state.getStaged()) {
      String key = Stores.stagedKey(TRAINER, b.getSequence());
      out.add(store.get(key));
      store.delete(key);
      b.setArrived(false);
    }
    harness.driver().<String, TrainerState>getKeyValueStore(Stores.TRAINERS).put(TRAINER, state);
    return out;
  }

  /** The repartition topic that brings assembled batches back to the planner. */
  private TestInputTopic<String, TrainingBatch> assembled() {
    return harness
        .driver()
        .createInputTopic(
            APP + "-staged-by-trainer-repartition",
            Serdes.String().serializer(),
            new AvroSerdes(harness.registry()).internal(TrainingBatch.class).serializer());
  }

  private static List<Long> sequences(List<TrainingBatch> list) {
    return list.stream().map(TrainingBatch::getSequence).toList();
  }

  @Test
  void stagedBatchIsReleasedByTheFeedbackAlone() {
    // Given window 2 and stage 2, once the pool holds batches
    startDriver(2);
    poolAndDeclare(2, 3);

    // Then the trainer has its two batches and two more wait, assembled, in the planner's task
    List<TrainingBatch> first = batches.readValuesToList();
    assertThat(sequences(first)).containsExactly(0L, 1L);
    assertThat(stagedInStore()).containsExactly(2L, 3L);
    assertThat(state().getStaged()).extracting(StagedBatch::getSequence).containsExactly(2L, 3L);
    assertThat(state().getStaged()).allSatisfy(b -> assertThat(b.getArrived()).isTrue());
    // and only the batches written are counted as such
    assertThat(harness.metrics().batches()).isEqualTo(2);

    // When the trainer acknowledges batch 0, with no punctuation after it
    long stagedPlannedAt = state().getStaged().get(0).getPlannedAt();
    ack(first.get(0).getBatchId());

    // Then batch 2, planned before the feedback, is on the trainer's topic at once
    List<TrainingBatch> released = batches.readValuesToList();
    assertThat(sequences(released)).containsExactly(2L);
    assertThat(released.get(0).getPlannedAt().toEpochMilli()).isEqualTo(stagedPlannedAt);
    assertThat(released.get(0).getExamples()).hasSize(6);
    // with the embeddings as a trainer without packedEmbeddings reads them
    assertThat(released.get(0).getExamples())
        .allSatisfy(
            e -> {
              assertThat(e.getPacked()).isNull();
              assertThat(e.getEmbedding()).hasSize(DIMENSION);
            });
    assertThat(harness.metrics().batches()).isEqualTo(3);
    // and the stage is refilled: batch 4 planned in the same feedback's processing
    assertThat(stagedInStore()).containsExactly(3L, 4L);
    assertThat(state().getOutstanding()).hasSize(2);
  }

  @Test
  void batchesReachTheTrainerInSequenceOrderWhateverOrderTheyAreAssembledIn() {
    // Given batches 0 and 1 out and 2 and 3 staged
    startDriver(2);
    poolAndDeclare(2, 3);
    List<TrainingBatch> first = batches.readValuesToList();
    assertThat(sequences(first)).containsExactly(0L, 1L);
    // and batches 2 and 3 taken back, as if their assembly had not finished
    List<TrainingBatch> inAssembly = takeBackStaged();
    TrainingBatch two = inAssembly.get(0);
    TrainingBatch three = inAssembly.get(1);
    TestInputTopic<String, TrainingBatch> assembled = assembled();

    // When the trainer acknowledges batch 0 (credit for one) before batch 2 is assembled
    ack(first.get(0).getBatchId());
    // Then nothing is written
    assertThat(batches.isEmpty()).isTrue();

    // When batch 3 is assembled before batch 2
    assembled.pipeInput(TRAINER, three);
    // Then it waits for batch 2
    assertThat(batches.isEmpty()).isTrue();

    // When batch 2 is assembled
    assembled.pipeInput(TRAINER, two);
    // Then batch 2 goes out (one credit), and batch 3 with the next acknowledgement
    assertThat(sequences(batches.readValuesToList())).containsExactly(2L);
    ack(first.get(1).getBatchId());
    assertThat(sequences(batches.readValuesToList())).containsExactly(3L);
  }

  @Test
  void changedSpecDiscardsStagedBatchesAndTheNextBatchIsOfTheNewSequence() {
    startDriver(2);
    poolAndDeclare(2, 3);
    assertThat(sequences(batches.readValuesToList())).containsExactly(0L, 1L);
    assertThat(stagedInStore()).containsExactly(2L, 3L);

    // When the spec changes
    declare(2, 4);

    // Then the staged batches are thrown away, counted, and never written; the new spec starts
    // with its whole window from the next sequence
    List<TrainingBatch> after = batches.readValuesToList();
    assertThat(sequences(after)).containsExactly(4L, 5L);
    assertThat(stagedInStore()).containsExactly(6L, 7L);
    assertThat(harness.metrics().batchesDiscarded(PlannerProcessor.DISCARD_SPEC)).isEqualTo(2);
    assertThat(harness.metrics().scrape())
        .contains("sieve_batches_discarded_total{reason=\"spec\"} 2.0");
  }

  @Test
  void rewindDiscardsStagedBatchesAndTheNextReleasedIsTheRewoundSequence() {
    startDriver(2);
    poolAndDeclare(2, 3);
    List<TrainingBatch> first = batches.readValuesToList();
    assertThat(sequences(first)).containsExactly(0L, 1L);

    // When the trainer is rewound to 1 (its window is full: nothing is written)
    control(TrainerControl.newBuilder().setAction("rewind").setSequence(1L));
    assertThat(batches.isEmpty()).isTrue();

    // Then batches 2 and 3 are gone, and the stage holds the rewound sequences
    assertThat(harness.metrics().batchesDiscarded("rewind")).isEqualTo(2);
    assertThat(state().getStaged())
        .extracting(StagedBatch::getBatchId)
        .containsExactly("st-1-r1", "st-2-r1");
    assertThat(stagedInStore()).containsExactly(1L, 2L);

    // When batch 0 is acknowledged
    ack(first.get(0).getBatchId());

    // Then the batch written is the rewound batch 1
    List<TrainingBatch> next = batches.readValuesToList();
    assertThat(next).extracting(TrainingBatch::getBatchId).containsExactly("st-1-r1");
  }

  @Test
  void batchDiscardedWhileInAssemblyIsDroppedWhenItArrivesAndNeverWritten() {
    // Given batches 0 and 1 out, and 2 and 3 still in assembly
    startDriver(2);
    poolAndDeclare(2, 3);
    List<TrainingBatch> first = batches.readValuesToList();
    List<TrainingBatch> inAssembly = takeBackStaged();

    // When the trainer is skipped to 10, discarding them, and batch 0 is acknowledged
    control(TrainerControl.newBuilder().setAction("skip").setSequence(10L));
    ack(first.get(0).getBatchId());

    // Then the batch written is 10
    assertThat(sequences(batches.readValuesToList())).containsExactly(10L);
    assertThat(harness.metrics().batchesDiscarded("skip")).isZero();

    // When the discarded batches come out of assembly
    TestInputTopic<String, TrainingBatch> assembled = assembled();
    inAssembly.forEach(b -> assembled.pipeInput(TRAINER, b));

    // Then they are dropped and counted, never written, and nothing of them is kept
    ack(first.get(1).getBatchId());
    assertThat(sequences(batches.readValuesToList())).containsExactly(11L);
    assertThat(harness.metrics().batchesDiscarded("skip")).isEqualTo(2);
    assertThat(state().getStaged()).extracting(StagedBatch::getSequence).containsExactly(12L, 13L);
    assertThat(stagedInStore()).containsExactly(12L, 13L);
  }

  @Test
  void quarantineDiscardsStagedBatchesPlannedFromTheQuarantinedCluster() {
    startDriver(2);
    poolAndDeclare(2, 3);
    List<TrainingBatch> first = batches.readValuesToList();
    int cluster = first.get(0).getExamples().get(0).getClusterId();

    // When a cluster is quarantined
    control(TrainerControl.newBuilder().setAction("quarantine").setClusterId(cluster));

    // Then the batches staged before are discarded, and those released next hold none of it
    assertThat(harness.metrics().batchesDiscarded("quarantine")).isEqualTo(2);
    ack(first.get(0).getBatchId());
    ack(first.get(1).getBatchId());
    List<TrainingBatch> next = batches.readValuesToList();
    assertThat(sequences(next)).containsExactly(4L, 5L);
    assertThat(next)
        .allSatisfy(
            b ->
                assertThat(b.getExamples())
                    .allSatisfy(e -> assertThat(e.getClusterId()).isNotEqualTo(cluster)));
  }

  @Test
  void pausedTrainerKeepsItsStagedBatchesAndGetsNoneUntilResumed() {
    startDriver(2);
    poolAndDeclare(2, 3);
    List<TrainingBatch> first = batches.readValuesToList();

    // When it is paused and acknowledges both batches
    control(TrainerControl.newBuilder().setAction("pause"));
    ack(first.get(0).getBatchId());
    ack(first.get(1).getBatchId());
    harness.settle();

    // Then nothing is written, and the staged batches stay
    assertThat(batches.isEmpty()).isTrue();
    assertThat(stagedInStore()).containsExactly(2L, 3L);
    assertThat(state().getOutstanding()).isEmpty();

    // When it is resumed, the staged batches go out at once, in order, and the stage refills
    control(TrainerControl.newBuilder().setAction("resume"));
    assertThat(sequences(batches.readValuesToList())).containsExactly(2L, 3L);
    assertThat(stagedInStore()).containsExactly(4L, 5L);
  }

  @Test
  void deletedTrainerLeavesNoStagedBatch() {
    startDriver(2);
    poolAndDeclare(2, 3);
    assertThat(stagedInStore()).containsExactly(2L, 3L);

    trainers.pipeInput(TRAINER, (TrainerSpec) null);

    assertThat(stagedInStore()).isEmpty();
    assertThat(state().getStaged()).isEmpty();
    assertThat(harness.metrics().batchesDiscarded(PlannerProcessor.DISCARD_DELETED)).isEqualTo(2);
  }

  @Test
  void stageZeroPlansOnlyOnCredit() {
    // Given stage 0 and window 2
    startDriver(0);
    poolAndDeclare(2, 3);
    List<TrainingBatch> first = batches.readValuesToList();
    assertThat(sequences(first)).containsExactly(0L, 1L);

    // Then nothing is planned ahead
    assertThat(stagedInStore()).isEmpty();
    assertThat(state().getStaged()).isEmpty();

    // When batch 0 is acknowledged
    ack(first.get(0).getBatchId());

    // Then batch 2 is planned on that credit, after the first two, and written at once
    List<TrainingBatch> next = batches.readValuesToList();
    assertThat(sequences(next)).containsExactly(2L);
    assertThat(next.get(0).getPlannedAt()).isAfter(first.get(1).getPlannedAt());
    assertThat(stagedInStore()).isEmpty();
    assertThat(harness.metrics().scrape()).doesNotContain("sieve_batches_discarded_total");
  }
}
