package io.sieve.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.Test;

class CommitGateTest {

  @Test
  void shouldReleaseFiguresOnlyAfterACommitThatFollowedThem() {
    AtomicLong commits = new AtomicLong(0);
    CommitGate gate = new CommitGate(commits::get);
    List<String> recorded = new ArrayList<>();

    // When a figure is recorded, nothing shows until the thread commits after it
    gate.record(() -> recorded.add("a"));
    gate.release();
    assertThat(recorded).isEmpty();
    commits.incrementAndGet();
    gate.record(() -> recorded.add("b"));
    assertThat(recorded).containsExactly("a");

    // Then the next commit releases the second
    gate.release();
    assertThat(recorded).containsExactly("a");
    commits.incrementAndGet();
    gate.release();
    assertThat(recorded).containsExactly("a", "b");
  }

  @Test
  void shouldDropWhatNoCommitFollowedWhenTheTaskCloses() {
    AtomicLong commits = new AtomicLong(3);
    CommitGate gate = new CommitGate(commits::get);
    List<String> recorded = new ArrayList<>();
    gate.record(() -> recorded.add("committed"));
    commits.incrementAndGet();
    gate.record(() -> recorded.add("aborted"));

    // When the task closes (its transaction aborted), the committed figure goes out, not the other
    gate.close();
    assertThat(recorded).containsExactly("committed");
    assertThat(gate.held()).isZero();
    commits.incrementAndGet();
    gate.release();
    assertThat(recorded).containsExactly("committed");
  }

  @Test
  void shouldRecordAtOnceWithoutTheThreadsCommitMetric() {
    // A mock context has no stream thread, hence no commit-total
    CommitGate gate = CommitGate.of(new MockProcessorContext<>());
    List<String> recorded = new ArrayList<>();
    gate.record(() -> recorded.add("now"));
    assertThat(recorded).containsExactly("now");
  }
}
