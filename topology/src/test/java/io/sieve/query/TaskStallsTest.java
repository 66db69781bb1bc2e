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

  private static TaskStalls.Offsets task(String id, long committed, long end) {
    return new TaskStalls.Offsets(id, Map.of(P0, committed), Map.of(P0, end));
  }

  @Test
  void shouldReportATaskWithInputWaitingThatCommitsNothingForTheStallTime() {
    // Given a 10 s stall time
    AtomicLong now = new AtomicLong(1_000_000);
    TaskStalls stalls = new TaskStalls(10_000, now::get);

    // When task 0_0 has 5 records waiting and its committed offset stays at 100
    assertThat(stalls.problem(List.of(task("0_0", 100, 105)))).isNull();
    now.addAndGet(9_999);
    assertThat(stalls.problem(List.of(task("0_0", 100, 106)))).isNull();
    now.addAndGet(1);

    // Then after 10 s it is stuck, named with its waiting input and since when
    assertThat(stalls.problem(List.of(task("0_0", 100, 106))))
        .contains("task 0_0", "6 input records waiting", "1970-01-01T00:16:40Z", "(10 s)");
    assertThat(stalls.observe(List.of(task("0_0", 100, 106))))
        .containsExactly(new TaskStalls.Stall("0_0", 1_000_000, 6));

    // When it commits, it is healthy again and the clock restarts
    assertThat(stalls.problem(List.of(task("0_0", 101, 106)))).isNull();
    now.addAndGet(9_000);
    assertThat(stalls.problem(List.of(task("0_0", 101, 106)))).isNull();
    now.addAndGet(1_000);
    assertThat(stalls.problem(List.of(task("0_0", 101, 106)))).contains("task 0_0");
  }

  @Test
  void shouldNotReportAnIdleTaskOrOneThatKeepsCommitting() {
    AtomicLong now = new AtomicLong(0);
    TaskStalls stalls = new TaskStalls(1_000, now::get);
    for (int i = 0; i < 10; i++) {
      // 0_0 is caught up; 0_1 always lags behind but commits between looks; 0_2 never committed
      // here (nothing to do since its assignment), whatever the end offset
      List<TaskStalls.Offsets> tasks =
          List.of(task("0_0", 50, 50), task("0_1", 100 + i, 200 + i), task("0_2", -1, 70));
      assertThat(stalls.problem(tasks)).isNull();
      now.addAndGet(5_000);
    }
  }

  @Test
  void shouldJudgeEachPartitionAndNameEveryStuckTask() {
    AtomicLong now = new AtomicLong(0);
    TaskStalls stalls = new TaskStalls(1_000, now::get);
    // 1_0 is caught up on P0 but has 3 waiting on P1; 0_0 has 2 waiting
    TaskStalls.Offsets two =
        new TaskStalls.Offsets("1_0", Map.of(P0, 10L, P1, 7L), Map.of(P0, 10L, P1, 10L));
    List<TaskStalls.Offsets> tasks = List.of(two, task("0_0", 1, 3));
    assertThat(stalls.observe(tasks)).isEmpty();
    now.addAndGet(1_000);
    assertThat(stalls.observe(tasks))
        .containsExactly(new TaskStalls.Stall("0_0", 0, 2), new TaskStalls.Stall("1_0", 0, 3));
  }

  @Test
  void shouldForgetTasksMovedAwayAndKeepItsVerdictWhenTasksCannotBeRead() {
    AtomicLong now = new AtomicLong(0);
    TaskStalls stalls = new TaskStalls(1_000, now::get);
    assertThat(stalls.problem(List.of(task("0_0", 1, 3)))).isNull();
    now.addAndGet(2_000);
    assertThat(stalls.problem(null)).isNull();
    assertThat(stalls.problem(List.of(task("0_0", 1, 3)))).contains("task 0_0");
    assertThat(stalls.problem(null)).contains("task 0_0");

    // When the task moves away and comes back with the same offsets, its clock starts over
    assertThat(stalls.problem(List.of())).isNull();
    assertThat(stalls.problem(List.of(task("0_0", 1, 3)))).isNull();
    now.addAndGet(999);
    assertThat(stalls.problem(List.of(task("0_0", 1, 3)))).isNull();
  }
}
