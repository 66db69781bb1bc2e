package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.BatchExample;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.TrainerControl;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.stream.Stores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Operators' trainer controls through the whole topology: pause and resume, skip and rewind,
 * quarantines of a cluster and of a group value, and the dead letters of controls that do not
 * apply.
 */
class TrainerControlTopologyTest {

  private static final int DIMENSION = 16;
  private static final String TRAINER = "ops";
  private static final String[] TOPICS = {"kafka", "football", "baking"};

  @TempDir Path stateDir;

  private DriverHarness harness;
  private TestInputTopic<String, TrainingExample> examples;
  private TestInputTopic<String, TrainerSpec> trainers;
  private TestInputTopic<String, TrainerFeedback> feedback;
  private TestInputTopic<String, TrainerControl> controls;
  private TestOutputTopic<Bytes, DeadLetter> deadLetters;
  private TestOutputTopic<String, TrainingBatch> batches;

  @BeforeEach
  void startDriver() {
    startDriver(stateDir);
  }

  private void startDriver(Path dir) {
    startDriver(dir, Map.of());
  }

  private void startDriver(Path dir, Map<String, Object> extra) {
    Map<String, Object> props = DriverHarness.props("sieve-controls", dir);
    props.putAll(extra);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 24);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 3);
    props.put(SieveConfig.DEDUP_NEAR_POLICY_CONFIG, "keep");
    harness = new DriverHarness(props);
    Topics topics = harness.topics();
    examples = harness.input(topics.examples());
    trainers = harness.input(topics.trainers());
    feedback = harness.input(topics.feedback());
    controls = harness.input(topics.controls());
    deadLetters = harness.output(topics.deadLetters());
    batches = harness.batches(TRAINER);
  }

  @AfterEach
  void closeDriver() {
    harness.close();
  }

  /**
   * Example {@code i} of topic {@code t}: close to the topic's own axis (three separate clusters),
   * with the group {@code topic} and a group {@code half} that splits every topic in two.
   */
  private static TrainingExample topical(int t, int i) {
    List<Float> embedding = DriverHarness.nearAxis(t * 5, i, DIMENSION);
    return TrainingExample.newBuilder()
        .setId(TOPICS[t] + "-" + i)
        .setText(TOPICS[t] + " number " + i)
        .setEmbedding(embedding)
        .setGroups(Map.of("topic", TOPICS[t], "half", i % 2 == 0 ? "even" : "odd"))
        .build();
  }

  /** 30 pooled examples of each topic, then a uniform trainer with the given batch and window. */
  private void poolAndDeclare(int batchSize, int window) {
    for (int i = 0; i < 30; i++) {
      for (int t = 0; t < TOPICS.length; t++) {
        TrainingExample e = topical(t, i);
        examples.pipeInput(e.getId(), e);
      }
    }
    harness.settle();
    trainers.pipeInput(
        TRAINER,
        TrainerSpec.newBuilder()
            .setTrainerId(TRAINER)
            .setPolicy("uniform")
            .setBatchSize(batchSize)
            .setWindow(window)
            .setSeed(3)
            .build());
    harness.settle();
  }

  private void control(TrainerControl.Builder c) {
    TrainerControl record = c.build();
    controls.pipeInput(record.getTrainerId(), record);
    harness.settle();
  }

  private void controlKeyed(String key, TrainerControl.Builder c) {
    controls.pipeInput(key, c.build());
    harness.settle();
  }

  private static TrainerControl.Builder action(String action) {
    return TrainerControl.newBuilder().setTrainerId(TRAINER).setAction(action);
  }

  private void ack(String batchId) {
    feedback.pipeInput(
        TRAINER, TrainerFeedback.newBuilder().setTrainerId(TRAINER).setBatchId(batchId).build());
    harness.settle();
  }

  private TrainerState state() {
    return harness.driver().<String, TrainerState>getKeyValueStore(Stores.TRAINERS).get(TRAINER);
  }

  private List<String> deadReasons() {
    return deadLetters.readValuesToList().stream().map(DeadLetter::getReason).toList();
  }

  private static Set<String> groupValues(List<TrainingBatch> list, String attribute) {
    Set<String> out = new TreeSet<>();
    for (TrainingBatch b : list) {
      for (BatchExample e : b.getExamples()) {
        out.add(e.getGroups().get(attribute));
      }
    }
    return out;
  }

  private static Set<Integer> clusters(List<TrainingBatch> list) {
    Set<Integer> out = new TreeSet<>();
    list.forEach(b -> b.getExamples().forEach(e -> out.add(e.getClusterId())));
    return out;
  }

  /** Acknowledges every batch of {@code list} and returns the batches that follow. */
  private List<TrainingBatch> ackAll(List<TrainingBatch> list) {
    for (TrainingBatch b : list) {
      ack(b.getBatchId());
    }
    return batches.readValuesToList();
  }

  @Test
  void pausedTrainerGetsNothingUntilResumedAndKeepsItsCredit() {
    // Given a trainer with its window of two batches out
    poolAndDeclare(6, 2);
    List<TrainingBatch> first = batches.readValuesToList();
    assertThat(first).extracting(TrainingBatch::getSequence).containsExactly(0L, 1L);

    // When an operator pauses it and it acknowledges both batches
    control(action("pause").setReason("checkpoint"));
    List<TrainingBatch> whilePaused = ackAll(first);

    // Then nothing is planned, its feedback is absorbed, and the state and gauge show the pause
    assertThat(whilePaused).isEmpty();
    assertThat(state().getPaused()).isTrue();
    assertThat(state().getOutstanding()).isEmpty();
    assertThat(state().getRound()).isEqualTo(2L);
    harness.metrics().trainers(List.of(state()));
    assertThat(harness.metrics().scrape()).contains("sieve_trainer_paused{trainer=\"ops\"} 1.0");

    // When it is resumed
    control(action("resume"));

    // Then its whole window is planned at once, from where it stopped
    List<TrainingBatch> resumed = batches.readValuesToList();
    assertThat(resumed).extracting(TrainingBatch::getSequence).containsExactly(2L, 3L);
    assertThat(state().getPaused()).isFalse();
    harness.metrics().trainers(List.of(state()));
    assertThat(harness.metrics().scrape()).contains("sieve_trainer_paused{trainer=\"ops\"} 0.0");
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void skipMovesTheNextSequenceForwardAndOutstandingBatchesStayAcknowledgeable() {
    // Given batches 0 and 1 out
    poolAndDeclare(6, 2);
    List<TrainingBatch> first = batches.readValuesToList();
    assertThat(first).hasSize(2);

    // When the trainer is skipped to 10, then acknowledges batch 0 and batch 1
    control(action("skip").setSequence(10L));
    ack(first.get(0).getBatchId());
    List<TrainingBatch> afterFirst = batches.readValuesToList();
    ack(first.get(1).getBatchId());
    List<TrainingBatch> afterSecond = batches.readValuesToList();

    // Then the batches that follow are 10 and 11, and both acknowledgements returned credit
    assertThat(afterFirst).extracting(TrainingBatch::getSequence).containsExactly(10L);
    assertThat(afterSecond).extracting(TrainingBatch::getSequence).containsExactly(11L);
    assertThat(afterSecond.get(0).getBatchId()).isEqualTo("ops-11");
    assertThat(deadLetters.isEmpty()).isTrue();

    // When an operator tries to skip backwards
    control(action("skip").setSequence(3L));

    // Then it is refused with a reason and the sequence stays (batches 12 to 15 are planned,
    // staged behind the two out: twice the window of a policy feedback does not steer)
    assertThat(deadReasons()).containsExactly("invalid-sequence");
    assertThat(state().getSequence()).isEqualTo(16L);
  }

  @Test
  void rewindReplansFromAnEarlierSequenceUnderFreshBatchIds() {
    // Given batches 0 and 1 acknowledged, and 2 and 3 out
    poolAndDeclare(6, 2);
    List<TrainingBatch> second = ackAll(batches.readValuesToList());
    assertThat(second).extracting(TrainingBatch::getSequence).containsExactly(2L, 3L);

    // When the trainer is rewound to 1: its window is full, so nothing is planned yet
    control(action("rewind").setSequence(1L));
    assertThat(batches.isEmpty()).isTrue();
    assertThat(state().getRewinds()).isEqualTo(1L);

    // When it acknowledges the outstanding batches, planned before the rewind
    List<TrainingBatch> rewound = ackAll(second);

    // Then the next batches are sequence 1 and 2 again, with ids that name the rewind
    assertThat(rewound).extracting(TrainingBatch::getSequence).containsExactly(1L, 2L);
    assertThat(rewound)
        .extracting(TrainingBatch::getBatchId)
        .containsExactly("ops-1-r1", "ops-2-r1");
    assertThat(rewound).allSatisfy(b -> assertThat(b.getExamples()).hasSize(6));
    assertThat(deadLetters.isEmpty()).isTrue();

    // When feedback for the batch 1 of before the rewind comes again
    ack("ops-1");

    // Then it is late, not credit for the new batch 1
    assertThat(deadReasons()).containsExactly("late-feedback");
    assertThat(state().getOutstanding()).hasSize(2);

    // And the new batches are acknowledged by their own ids
    List<TrainingBatch> next = ackAll(rewound);
    assertThat(next).extracting(TrainingBatch::getSequence).containsExactly(3L, 4L);

    // And a rewind that does not go back (from the next sequence planned, past the staged batches)
    // is refused
    assertThat(state().getSequence()).isEqualTo(9L);
    control(action("rewind").setSequence(9L));
    assertThat(deadReasons()).containsExactly("invalid-sequence");
  }

  @Test
  void quarantinedClusterIsInNoBatchUntilLifted() {
    // Given a trainer whose first batches draw from all three clusters
    poolAndDeclare(9, 4);
    List<TrainingBatch> before = batches.readValuesToList();
    Set<Integer> all = clusters(before);
    assertThat(all).hasSize(3);
    int quarantined = all.iterator().next();

    // When one cluster is quarantined and the trainer goes on
    control(action("quarantine").setClusterId(quarantined));
    List<TrainingBatch> during = new ArrayList<>();
    List<TrainingBatch> round = ackAll(before);
    for (int r = 0; r < 3; r++) {
      during.addAll(round);
      round = ackAll(round);
    }
    during.addAll(round);

    // Then no batch holds an example of it, and every batch is full from the other two
    assertThat(during).hasSizeGreaterThanOrEqualTo(12);
    assertThat(clusters(during)).doesNotContain(quarantined).hasSize(2);
    assertThat(during).allSatisfy(b -> assertThat(b.getExamples()).hasSize(9));
    assertThat(state().getQuarantinedClusters()).containsExactly(quarantined);
    harness.metrics().trainers(List.of(state()));
    assertThat(harness.metrics().scrape())
        .contains("sieve_quarantines{kind=\"cluster\",trainer=\"ops\"} 1.0");

    // When it is lifted
    control(action("lift").setClusterId(quarantined));
    List<TrainingBatch> after = new ArrayList<>();
    round = ackAll(during.subList(during.size() - 4, during.size()));
    for (int r = 0; r < 3; r++) {
      after.addAll(round);
      round = ackAll(round);
    }

    // Then its examples come back
    assertThat(clusters(after)).contains(quarantined);
    assertThat(state().getQuarantinedClusters()).isEmpty();
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void quarantinedGroupValueIsInNoBatchWhetherItFillsAClusterOrHalfOfEach() {
    // Given a trainer served from all topics and both halves
    poolAndDeclare(9, 4);
    List<TrainingBatch> before = batches.readValuesToList();
    assertThat(groupValues(before, "half")).containsExactly("even", "odd");

    // When the odd half (half of every cluster) and the baking topic (a whole cluster) are
    // quarantined
    control(action("quarantine").setGroup("half=odd"));
    control(action("quarantine").setGroup("topic=baking"));
    List<TrainingBatch> during = new ArrayList<>();
    List<TrainingBatch> round = ackAll(before);
    for (int r = 0; r < 3; r++) {
      during.addAll(round);
      round = ackAll(round);
    }

    // Then no batch holds either, and the batches are still full, from what is left
    assertThat(during).hasSizeGreaterThanOrEqualTo(12);
    assertThat(groupValues(during, "half")).containsExactly("even");
    assertThat(groupValues(during, "topic")).containsExactly("football", "kafka");
    assertThat(during).allSatisfy(b -> assertThat(b.getExamples()).hasSize(9));
    assertThat(state().getQuarantinedGroups()).containsExactly("half=odd", "topic=baking");

    // When the odd half is lifted
    control(action("lift").setGroup("half=odd"));
    List<TrainingBatch> after = new ArrayList<>();
    round = ackAll(round);
    for (int r = 0; r < 3; r++) {
      after.addAll(round);
      round = ackAll(round);
    }

    // Then it comes back, and baking stays out
    assertThat(groupValues(after, "half")).containsExactly("even", "odd");
    assertThat(groupValues(after, "topic")).doesNotContain("baking");
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void controlsThatDoNotApplyAreDeadLetteredWithTheirReason() {
    // Given a declared trainer
    poolAndDeclare(6, 2);
    batches.readValuesToList();

    // When controls arrive that are malformed or do not apply
    control(action("explode"));
    controlKeyed(TRAINER, action("pause").setTrainerId("someone-else"));
    control(action("quarantine"));
    control(action("quarantine").setClusterId(1).setGroup("a=b"));
    control(action("quarantine").setGroup("no-equals-sign"));
    control(action("pause").setSequence(3L));
    control(action("skip"));
    control(action("lift").setClusterId(7));
    control(action("pause").setTrainerId("never-declared"));
    controls.pipeInput(TRAINER, null);
    harness.settle();

    // Then each is a dead letter with its reason, and the trainer's state is untouched
    assertThat(deadReasons())
        .containsExactly(
            "unknown-action",
            "key-mismatch",
            "invalid-control",
            "invalid-control",
            "invalid-control",
            "invalid-control",
            "invalid-control",
            "not-quarantined",
            "unknown-trainer",
            "tombstone");
    TrainerState state = state();
    assertThat(state.getPaused()).isFalse();
    assertThat(state.getQuarantinedClusters()).isEmpty();
    assertThat(state.getQuarantinedGroups()).isEmpty();
    // (two batches out and four staged: twice the window of a policy feedback does not steer)
    assertThat(state.getSequence()).isEqualTo(6L);
    assertThat(state.getStaged()).hasSize(4);
  }

  /** A run with every kind of control; each batch as its id and its examples' ids. */
  private List<String> controlledRun() {
    poolAndDeclare(6, 2);
    List<TrainingBatch> all = new ArrayList<>(batches.readValuesToList());
    control(action("pause"));
    ackAll(all);
    control(action("quarantine").setGroup("half=odd"));
    control(action("quarantine").setClusterId(all.get(0).getExamples().get(0).getClusterId()));
    control(action("rewind").setSequence(1L));
    control(action("resume"));
    List<TrainingBatch> round = batches.readValuesToList();
    for (int r = 0; r < 3; r++) {
      all.addAll(round);
      round = ackAll(round);
    }
    all.addAll(round);
    List<String> out = new ArrayList<>();
    for (TrainingBatch b : all) {
      out.add(b.getBatchId() + " " + b.getExamples().stream().map(BatchExample::getId).toList());
    }
    return out;
  }

  @Test
  void replayingTheSameRecordsReproducesTheSameBatches() {
    // Given a run with pause, quarantines, a rewind and resume
    List<String> first = controlledRun();
    assertThat(first).hasSizeGreaterThan(6);
    assertThat(first).anySatisfy(b -> assertThat(b).startsWith("ops-1-r1 "));

    // When the same records are replayed into a fresh instance
    harness.close();
    startDriver(stateDir.resolve("replay"));
    List<String> second = controlledRun();

    // Then it writes the same batches, example for example
    assertThat(second).isEqualTo(first);
  }

  @Test
  void leasesOfAPausedTrainerStillExpireAndItsCreditWaitsForResume() {
    // Given a trainer with a lease of 15 s (longer than one settle) and its window of two batches
    // out
    harness.close();
    startDriver(stateDir.resolve("lease"), Map.of(SieveConfig.BATCH_LEASE_CONFIG, 15_000L));
    poolAndDeclare(6, 2);
    assertThat(batches.readValuesToList()).hasSize(2);

    // When it is paused and never acknowledges them
    control(action("pause"));
    harness.settle();
    harness.settle();

    // Then both leases expire, the credit comes back, and still nothing is planned
    assertThat(deadReasons()).containsExactly("lease-expired", "lease-expired");
    assertThat(state().getOutstanding()).isEmpty();
    assertThat(batches.isEmpty()).isTrue();

    // When it is resumed, its whole window is planned
    control(action("resume"));
    assertThat(batches.readValuesToList())
        .extracting(TrainingBatch::getSequence)
        .containsExactly(2L, 3L);
  }
}
