package io.sieve.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LivenessTest {

  @Test
  void shouldTurnUnhealthyOnAThreadReplacedInALoopAndHealthyAfterAQuietWindow() {
    // Given 3 failures within 60 s make the instance unhealthy
    AtomicLong now = new AtomicLong(1_000_000);
    Liveness liveness = new Liveness(3, 60_000, now::get);
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
    Liveness liveness = new Liveness(2, 1_000, now::get);
    for (int i = 0; i < 10; i++) {
      liveness.threadFailed();
      now.addAndGet(1_500);
      assertThat(liveness.problem()).isNull();
    }
  }
}
