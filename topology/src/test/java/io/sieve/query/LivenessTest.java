package io.sieve.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import io.sieve.policy.PlanContext;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class LivenessTest {

  @Test
  void shouldTurnUnhealthyOnAThreadReplacedInALoopAndHealthyAfterAQuietWindow() {
    // Given 3 failures within 60 s make the instance unhealthy
    AtomicLong now = new AtomicLong(1_000_000);
    Liveness liveness = new Liveness(3, 60_000, Long.MAX_VALUE, now::get);
    assertThat(liveness.problem()).isNull();

    // When two threads fail 10 s apart, it is still healthy
    liveness.threadFailed();
    now.addAndGet(10_000);
    liveness.threadFailed();
    assertThat(liveness.problem()).isNull();

    // When a third fails within the window, it is not
    now.addAndGet(10_000);
    liveness.threadFailed();
    assertThat(liveness.problem()).contains("3 stream thread failures");

    // When the failures age out of the window, it is healthy again
    now.addAndGet(60_001);
    assertThat(liveness.problem()).isNull();
    assertThat(liveness.totalFailures()).isEqualTo(3);
  }

  @Test
  void shouldNotCountFailuresFartherApartThanTheWindow() {
    AtomicLong now = new AtomicLong(0);
    Liveness liveness = new Liveness(2, 1_000, Long.MAX_VALUE, now::get);
    for (int i = 0; i < 10; i++) {
      liveness.threadFailed();
      now.addAndGet(1_500);
      assertThat(liveness.problem()).isNull();
    }
  }

  @Test
  void shouldTurnUnhealthyOnAStuckTaskThoughNoThreadFails() {
    // Given a task that fetched up to offset 13 with its committed offset stuck at 10, its thread
    // still polling, and a 30 s stall time
    AtomicLong now = new AtomicLong(0);
    Liveness liveness = new Liveness(3, 60_000, 30_000, now::get);
    TopicPartition p = new TopicPartition("examples", 2);
    List<TaskStalls.Offsets> stuck =
        List.of(new TaskStalls.Offsets("0_2", Map.of(p, 10L), Map.of(p, 13L)));
    assertThat(liveness.problem(progress(stuck, 100))).isNull();

    // When 30 s pass without a commit, it is unhealthy, with no thread failure
    now.addAndGet(30_000);
    assertThat(liveness.problem(progress(stuck, 200)))
        .contains("task 0_2 has had input waiting", "fetched to offset 13, committed 10")
        .doesNotContain("stream thread");
    assertThat(liveness.totalFailures()).isZero();
    // and while the offsets cannot be read, the verdict holds
    assertThat(liveness.problem(null)).contains("task 0_2");

    // When it commits past the waiting input, healthy again
    List<TaskStalls.Offsets> moved =
        List.of(new TaskStalls.Offsets("0_2", Map.of(p, 14L), Map.of(p, 13L)));
    assertThat(liveness.problem(progress(moved, 300))).isNull();
  }

  @Test
  void shouldTurnUnhealthyOnAThreadThatStopsPollingWithNoInputWaiting() {
    // Given an idle task and its thread, whose activity count stops at 500
    AtomicLong now = new AtomicLong(0);
    Liveness liveness = new Liveness(3, 60_000, 30_000, now::get);
    TopicPartition p = new TopicPartition("examples", 0);
    List<TaskStalls.Offsets> idle =
        List.of(new TaskStalls.Offsets("0_0", Map.of(p, 10L), Map.of(p, 9L)));
    assertThat(liveness.problem(progress(idle, 500))).isNull();
    now.addAndGet(29_999);
    assertThat(liveness.problem(progress(idle, 500))).isNull();
    now.addAndGet(1);

    // Then the thread is named, the task is not
    assertThat(liveness.problem(progress(idle, 500)))
        .startsWith("stream thread t1 has neither polled")
        .doesNotContain("task 0_0");
    // and once it polls again, it is healthy
    assertThat(liveness.problem(progress(idle, 501))).isNull();
  }

  private static Liveness.Progress progress(List<TaskStalls.Offsets> tasks, long activity) {
    return new Liveness.Progress(
        tasks, List.of(new ThreadStalls.Activity("t1", "RUNNING", activity)), List.of(), null);
  }

  @Test
  void shouldTurnUnhealthyOnATrainerWithCreditAndAFullPoolThatGetsNoBatch() {
    // Given trainer a with credit (nothing outstanding, window 2) and a pool of 10 for batches of 8
    AtomicLong now = new AtomicLong(0);
    Liveness liveness = new Liveness(3, 60_000, 30_000, now::get);
    TrainerState a =
        TrainerState.newBuilder()
            .setTrainerId("a")
            .setSpec(TrainerSpec.newBuilder().setTrainerId("a").setBatchSize(8).build())
            .setSequence(4)
            .build();
    PlanContext pool = PlanContext.ofSizes(new TreeMap<>(Map.of(0, 10L)));
    Liveness.Progress progress = new Liveness.Progress(List.of(), List.of(), List.of(a), pool);
    assertThat(liveness.problem(progress)).isNull();
    assertThat(liveness.waitingTrainers(List.of(a), pool)).containsEntry("a", 0L);

    // When no batch is planned for 30 s, it is unhealthy and names the trainer
    now.addAndGet(30_000);
    assertThat(liveness.problem(progress)).startsWith("trainer a has had credit");

    // When one is planned, healthy again
    TrainerState fed = TrainerState.newBuilder(a).setSequence(5).build();
    assertThat(liveness.problem(new Liveness.Progress(List.of(), List.of(), List.of(fed), pool)))
        .isNull();
  }
}
