package io.sieve.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ThreadStallsTest {

  private static ThreadStalls.Activity running(String thread, long count) {
    return new ThreadStalls.Activity(thread, "RUNNING", count);
  }

  @Test
  void shouldReportAThreadWhoseActivityStandsStillForTheStallTime() {
    // Given a 10 s stall time and two threads
    AtomicLong now = new AtomicLong(1_000_000);
    ThreadStalls stalls = new ThreadStalls(10_000, now::get);
    assertThat(stalls.problem(List.of(running("t1", 200), running("t2", 300)))).isNull();

    // When t1 blocks (its count stays at 219) while t2 keeps polling
    now.addAndGet(5_000);
    assertThat(stalls.problem(List.of(running("t1", 219), running("t2", 350)))).isNull();
    now.addAndGet(9_999);
    assertThat(stalls.problem(List.of(running("t1", 219), running("t2", 400)))).isNull();
    now.addAndGet(1);

    // Then t1 alone is stuck, since the first look that saw its count stand still
    assertThat(stalls.observe(List.of(running("t1", 219), running("t2", 450))))
        .containsExactly(new ThreadStalls.Stall("t1", 1_005_000));
    assertThat(stalls.problem(List.of(running("t1", 219), running("t2", 500))))
        .isEqualTo(
            "stream thread t1 has neither polled, processed nor committed since"
                + " 1970-01-01T00:16:45Z (10 s)");

    // When it moves again, it is healthy
    assertThat(stalls.problem(List.of(running("t1", 220), running("t2", 550)))).isNull();
  }

  @Test
  void shouldNotJudgeAThreadWaitingInARebalance() {
    // Given a thread whose count stands still while its group rebalances
    AtomicLong now = new AtomicLong(0);
    ThreadStalls stalls = new ThreadStalls(1_000, now::get);
    for (String state : List.of("PARTITIONS_REVOKED", "PARTITIONS_ASSIGNED")) {
      for (int i = 0; i < 3; i++) {
        assertThat(stalls.observe(List.of(new ThreadStalls.Activity("t1", state, 7)))).isEmpty();
        now.addAndGet(2_000);
      }
    }
    // When it runs again with the same count, its clock starts then
    assertThat(stalls.observe(List.of(running("t1", 7)))).isEmpty();
    now.addAndGet(1_000);
    // Then it is stuck only a full stall time after the rebalance
    assertThat(stalls.observe(List.of(running("t1", 7))))
        .containsExactly(new ThreadStalls.Stall("t1", 12_000));
  }

  @Test
  void shouldNotJudgeAThreadBeingShutDownAndForgetReplacedOnes() {
    AtomicLong now = new AtomicLong(0);
    ThreadStalls stalls = new ThreadStalls(1_000, now::get);
    for (int i = 0; i < 5; i++) {
      assertThat(
              stalls.observe(
                  List.of(
                      new ThreadStalls.Activity("t1", "PENDING_SHUTDOWN", 7),
                      new ThreadStalls.Activity("t2", "CREATED", 0))))
          .isEmpty();
      now.addAndGet(2_000);
    }
    // a replaced thread's name comes back only as a new thread: its clock starts over
    assertThat(stalls.observe(List.of(running("t3", 5)))).isEmpty();
    assertThat(stalls.observe(List.of())).isEmpty();
    now.addAndGet(2_000);
    assertThat(stalls.observe(List.of(running("t3", 5)))).isEmpty();
  }
}
