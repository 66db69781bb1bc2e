package io.sieve.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class TaskStallsTest {

  private static final TopicPartition P0 = new TopicPartition("examples", 0);
  private static final TopicPartition P1 = new TopicPartition("examples", 1);

  /** A task on P0: {@code end} is the offset of the last record fetched, as Kafka Streams says. */
  private static TaskStalls.Offsets task(String id, long committed, long end) {
    return new TaskStalls.Offsets(id, Map.of(P0, committed), Map.of(P0, end));
  }

  @Test
  void shouldReportAPartitionWithARecordFetchedThatCommitsNothingForTheStallTime() {
    // Given a 10 s stall time
    AtomicLong now = new AtomicLong(1_000_000);
    TaskStalls stalls = new TaskStalls(10_000, now::get);

    // When task 0_0 has fetched the record at offset 100 and its committed offset stays at 100
    // (one record waiting: the end offset is the last record's, not the next one)
    assertThat(stalls.problem(List.of(task("0_0", 100, 100)))).isNull();
    now.addAndGet(9_999);
    assertThat(stalls.problem(List.of(task("0_0", 100, 101)))).isNull();
    now.addAndGet(1);

    // Then after 10 s it is stuck, named with its offsets and since when
    assertThat(stalls.problem(List.of(task("0_0", 100, 101))))
        .contains(
            "task 0_0 has had input waiting (examples-0 fetched to offset 101, committed 100)",
            "committed nothing since 1970-01-01T00:16:40Z (10 s)");
    assertThat(stalls.observe(List.of(task("0_0", 100, 101))))
        .containsExactly(new TaskStalls.Stall("0_0", P0, 1_000_000, 101, 100));

    // When it commits, it is healthy again and the clock restarts
    assertThat(stalls.problem(List.of(task("0_0", 101, 101)))).isNull();
    now.addAndGet(9_000);
    assertThat(stalls.problem(List.of(task("0_0", 101, 101)))).isNull();
    now.addAndGet(1_000);
    assertThat(stalls.problem(List.of(task("0_0", 101, 101)))).contains("task 0_0");
  }

  @Test
  void shouldNotReportAnIdleTaskOrOneThatKeepsCommitting() {
    AtomicLong now = new AtomicLong(0);
    TaskStalls stalls = new TaskStalls(1_000, now::get);
    for (int i = 0; i < 10; i++) {
      // 0_0 is caught up (committed = the last record + 1); 0_1 always has input fetched but
      // commits between looks; 0_2 has fetched nothing since its assignment
      List<TaskStalls.Offsets> tasks =
          List.of(task("0_0", 50, 49), task("0_1", 100 + i, 200 + i), task("0_2", -1, -1));
      assertThat(stalls.problem(tasks)).isNull();
      now.addAndGet(5_000);
    }
  }

  @Test
  void shouldNotTakeATransactionMarkerAtIdleForWaitingInput() {
    // Given an internal topic written in transactions: the last record at 39, its commit marker at
    // 40, and the consumer's position (the committed offset) past the marker
    AtomicLong now = new AtomicLong(0);
    TaskStalls stalls = new TaskStalls(1_000, now::get);
    for (int i = 0; i < 5; i++) {
      assertThat(stalls.observe(List.of(task("3_0", 41, 39)))).isEmpty();
      now.addAndGet(5_000);
    }
  }

  @Test
  void shouldJudgeEachPartitionAndNameEveryStuckTask() {
    AtomicLong now = new AtomicLong(0);
    TaskStalls stalls = new TaskStalls(1_000, now::get);
    // 1_0 is caught up on P0 but has fetched 3 records past its commit on P1; 0_0 has one waiting
    TaskStalls.Offsets two =
        new TaskStalls.Offsets("1_0", Map.of(P0, 10L, P1, 7L), Map.of(P0, 9L, P1, 9L));
    TopicPartition t0 = new TopicPartition("trainers", 0);
    TaskStalls.Offsets one = new TaskStalls.Offsets("0_0", Map.of(t0, 3L), Map.of(t0, 3L));
    List<TaskStalls.Offsets> tasks = List.of(two, one);
    assertThat(stalls.observe(tasks)).isEmpty();
    now.addAndGet(1_000);
    assertThat(stalls.observe(tasks))
        .containsExactly(
            new TaskStalls.Stall("0_0", t0, 0, 3, 3), new TaskStalls.Stall("1_0", P1, 0, 9, 7));
  }

  @Test
  void shouldKeepTheClockOfARevivedTaskThatReportsNoCommit() {
    // Given task 0_0 stuck on the record at 46 for 6 s of a 10 s stall time
    AtomicLong now = new AtomicLong(0);
    TaskStalls stalls = new TaskStalls(10_000, now::get);
    assertThat(stalls.observe(List.of(task("0_0", 46, 46)))).isEmpty();
    now.addAndGet(6_000);
    assertThat(stalls.observe(List.of(task("0_0", 46, 46)))).isEmpty();

    // When its transaction aborts and the task is revived: gone while it restores, then back with
    // no commit of its own (-1) and the same record fetched again
    assertThat(stalls.observe(List.of())).isEmpty();
    now.addAndGet(2_000);
    assertThat(stalls.observe(List.of(task("0_0", -1, -1)))).isEmpty();
    assertThat(stalls.observe(List.of(task("0_0", -1, 46)))).isEmpty();
    now.addAndGet(2_000);

    // Then its stall is timed from the first look, and names the committed offset carried over
    assertThat(stalls.observe(List.of(task("0_0", -1, 46))))
        .containsExactly(new TaskStalls.Stall("0_0", P0, 0, 46, 46));
  }

  @Test
  void shouldFollowAPartitionMovedToAnotherTaskOrThreadOfThisInstance() {
    // Given partition P0 stuck in task 0_0 (thread 1)
    AtomicLong now = new AtomicLong(0);
    TaskStalls stalls = new TaskStalls(10_000, now::get);
    assertThat(stalls.observe(List.of(task("0_0", 5, 7)))).isEmpty();
    now.addAndGet(5_000);

    // When a rebalance hands it to another thread, whose task has not committed it yet
    assertThat(stalls.observe(List.of(task("0_0", -1, 7)))).isEmpty();
    now.addAndGet(5_000);

    // Then the partition is still the one judged, with its clock
    assertThat(stalls.observe(List.of(task("0_0", -1, 7))))
        .containsExactly(new TaskStalls.Stall("0_0", P0, 0, 7, 5));

    // And a commit by the new owner clears it
    assertThat(stalls.observe(List.of(task("0_0", 8, 7)))).isEmpty();
  }

  @Test
  void shouldReportATaskStuckFromItsAssignmentOn() {
    // a record fetched and no commit ever seen here: a running task would commit it
    AtomicLong now = new AtomicLong(0);
    TaskStalls stalls = new TaskStalls(1_000, now::get);
    assertThat(stalls.problem(List.of(task("2_0", -1, 12)))).isNull();
    now.addAndGet(1_000);
    assertThat(stalls.problem(List.of(task("2_0", -1, 12))))
        .contains("examples-0 fetched to offset 12, none committed");
  }

  @Test
  void shouldForgetPartitionsGoneForTheStallTimeAndKeepItsVerdictWhenTasksCannotBeRead() {
    AtomicLong now = new AtomicLong(0);
    TaskStalls stalls = new TaskStalls(1_000, now::get);
    assertThat(stalls.problem(List.of(task("0_0", 1, 3)))).isNull();
    now.addAndGet(2_000);
    assertThat(stalls.problem(null)).isNull();
    assertThat(stalls.problem(List.of(task("0_0", 1, 3)))).contains("task 0_0");
    assertThat(stalls.problem(null)).contains("task 0_0");

    // When the partition is elsewhere for the stall time and comes back, its clock starts over
    assertThat(stalls.problem(List.of())).isNull();
    now.addAndGet(1_000);
    assertThat(stalls.problem(List.of())).isNull();
    assertThat(stalls.problem(List.of(task("0_0", -1, 3)))).isNull();
    now.addAndGet(999);
    assertThat(stalls.problem(List.of(task("0_0", -1, 3)))).isNull();
  }
}
