package io.sieve.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.OutstandingBatch;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import io.sieve.config.BatchTopics;
import io.sieve.policy.PlanContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TrainerStarvationTest {

  /** A trainer with batches of 8, a window of 2, {@code outstanding} batches out. */
  private static TrainerState trainer(String id, long sequence, int outstanding) {
    List<OutstandingBatch> out = new ArrayList<>();
    for (int i = 0; i < outstanding; i++) {
      out.add(OutstandingBatch.newBuilder().setBatchId(id + "-" + i).setPlannedAt(0).build());
    }
    return TrainerState.newBuilder()
        .setTrainerId(id)
        .setSpec(TrainerSpec.newBuilder().setTrainerId(id).setBatchSize(8).setWindow(2).build())
        .setSequence(sequence)
        .setOutstanding(out)
        .build();
  }

  /** A pool of clusters 0 and 1 holding {@code zero} and {@code one} examples. */
  private static PlanContext pool(long zero, long one) {
    TreeMap<Integer, Long> sizes = new TreeMap<>(Map.of(0, zero, 1, one));
    sizes.values().removeIf(n -> n == 0);
    return new PlanContext(sizes, Map.of(), null);
  }

  @Test
  void shouldReportATrainerWithCreditAndAFullPoolThatGetsNoBatchForTheStallTime() {
    // Given a 10 s stall time, a pool of 12 and trainer a with credit whose sequence stays at 5
    AtomicLong now = new AtomicLong(1_000_000);
    TrainerStarvation starvation = new TrainerStarvation(10_000, now::get, BatchTopics.ALL_READY);
    assertThat(starvation.problem(List.of(trainer("a", 5, 1)), pool(6, 6))).isNull();
    now.addAndGet(9_999);
    assertThat(starvation.problem(List.of(trainer("a", 5, 1)), pool(6, 6))).isNull();
    now.addAndGet(1);

    // Then after 10 s it is starved, since the first look
    assertThat(starvation.problem(List.of(trainer("a", 5, 1)), pool(6, 6)))
        .isEqualTo(
            "trainer a has had credit and a pool holding a batch, and no batch written, since"
                + " 1970-01-01T00:16:40Z (10 s)");
    assertThat(starvation.observe(List.of(trainer("a", 5, 1)), pool(6, 6)))
        .containsExactly(Map.entry("a", 1_000_000L));

    // When a batch is planned (its sequence moves), it is fed again and its clock restarts
    assertThat(starvation.problem(List.of(trainer("a", 6, 2)), pool(6, 6))).isNull();
    assertThat(starvation.problem(List.of(trainer("a", 7, 1)), pool(6, 6))).isNull();
    assertThat(starvation.observe(List.of(trainer("a", 7, 1)), pool(6, 6)))
        .containsExactly(Map.entry("a", 1_010_000L));
  }

  @Test
  void shouldKeepTheClockOfATrainerWhoseBatchesArePlannedAheadButNotWritten() {
    // Given trainer a with credit, whose sequence moves from 5 to 7 only by planning two batches
    // ahead (staged, not yet assembled): nothing was written for it
    AtomicLong now = new AtomicLong(0);
    TrainerStarvation starvation = new TrainerStarvation(10_000, now::get, BatchTopics.ALL_READY);
    starvation.observe(List.of(trainer("a", 5, 1)), pool(6, 6));
    now.addAndGet(10_000);
    List<io.sieve.avro.StagedBatch> staged = new ArrayList<>();
    for (long seq = 5; seq < 7; seq++) {
      staged.add(
          io.sieve.avro.StagedBatch.newBuilder()
              .setBatchId("a-" + seq)
              .setSequence(seq)
              .setPlannedAt(0)
              .build());
    }
    TrainerState ahead = TrainerState.newBuilder(trainer("a", 7, 1)).setStaged(staged).build();
    // Then it is still waiting since the first look, and starved
    assertThat(starvation.observe(List.of(ahead), pool(6, 6))).containsExactly(Map.entry("a", 0L));
    assertThat(starvation.problem(List.of(ahead), pool(6, 6))).contains("trainer a ");
    // and once one of them is written (one staged left, sequence 7), its clock restarts
    TrainerState served =
        TrainerState.newBuilder(ahead).setStaged(new ArrayList<>(staged.subList(1, 2))).build();
    assertThat(starvation.problem(List.of(served), pool(6, 6))).isNull();
  }

  @Test
  void shouldNotReportATrainerThePlannerRightlyLeavesWaiting() {
    AtomicLong now = new AtomicLong(0);
    TrainerStarvation starvation =
        new TrainerStarvation(1_000, now::get, id -> !id.equals("collided"));
    TrainerState noCredit = trainer("full", 3, 2);
    TrainerState paused = TrainerState.newBuilder(trainer("paused", 3, 0)).setPaused(true).build();
    TrainerState removed = TrainerState.newBuilder(trainer("removed", 3, 0)).setSpec(null).build();
    TrainerState quarantined =
        TrainerState.newBuilder(trainer("quarantined", 3, 0))
            .setQuarantinedClusters(List.of(1))
            .build();
    TrainerState small = trainer("small", 3, 0);
    TrainerState collided = trainer("collided", 3, 0);
    for (int i = 0; i < 5; i++) {
      // the pool holds 7 outside the quarantined cluster 1: less than a batch of 8
      assertThat(starvation.problem(List.of(noCredit, paused, removed, quarantined), pool(7, 20)))
          .isNull();
      // a pool of 7 in all holds no batch of 8
      assertThat(starvation.problem(List.of(small), pool(4, 3))).isNull();
      now.addAndGet(5_000);
    }
  }

  @Test
  void shouldForgetTrainersMovedAwayAndKeepItsVerdictWhenTheStoresCannotBeRead() {
    AtomicLong now = new AtomicLong(0);
    TrainerStarvation starvation =
        new TrainerStarvation(1_000, now::get, id -> !id.equals("collided"));
    assertThat(starvation.problem(List.of(trainer("a", 1, 0)), pool(8, 0))).isNull();
    now.addAndGet(1_000);
    assertThat(starvation.problem(List.of(trainer("a", 1, 0)), pool(8, 0))).contains("trainer a");
    assertThat(starvation.problem(null, null)).contains("trainer a");

    // When it moves to another instance and back, its clock starts over
    assertThat(starvation.problem(List.of(), pool(8, 0))).isNull();
    assertThat(starvation.problem(List.of(trainer("a", 1, 0)), pool(8, 0))).isNull();
  }
}
