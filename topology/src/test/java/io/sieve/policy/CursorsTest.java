package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class CursorsTest {

  private static TrainerState trainer() {
    return TrainerState.newBuilder()
        .setTrainerId("t")
        .setSpec(TrainerSpec.newBuilder().setTrainerId("t").build())
        .build();
  }

  private static List<Long> slots(List<Draw.Pick> picks) {
    return picks.stream().map(Draw.Pick::slot).toList();
  }

  @Test
  void clusterWithoutCursorHasNothingToDraw() {
    // Given a trainer that never drew from cluster 4
    Cursors cursors = new Cursors(trainer());

    // Then the cluster has nothing left in its cycle and yields nothing
    assertThat(cursors.get(4)).isNull();
    assertThat(cursors.remaining(4)).isZero();
    assertThat(cursors.take(4, 3)).isEmpty();
  }

  @Test
  void oneCycleVisitsEverySlotOnceAndThenStops() {
    // Given cycle 0 of a cluster of 11 slots
    Cursors cursors = new Cursors(trainer());
    cursors.startCycle(2, 0, 11);

    // When more than the cycle holds is asked for
    List<Draw.Pick> picks = cursors.take(2, 20);

    // Then each slot comes exactly once, in cycle 0, and the cycle is used up
    assertThat(slots(picks))
        .containsExactlyInAnyOrderElementsOf(LongStream.range(0, 11).boxed().toList());
    assertThat(picks).allSatisfy(p -> assertThat(p.cycle()).isZero());
    assertThat(cursors.remaining(2)).isZero();
    assertThat(cursors.take(2, 1)).isEmpty();
  }

  @Test
  void savedCursorResumesWhereItStopped() {
    // Given one walk of a whole cycle, and a second trainer that draws it in two batches
    Cursors whole = new Cursors(trainer());
    whole.startCycle(0, 0, 9);
    List<Long> expected = slots(whole.take(0, 9));

    TrainerState state = trainer();
    Cursors first = new Cursors(state);
    first.startCycle(0, 0, 9);
    List<Long> walked = new ArrayList<>(slots(first.take(0, 4)));
    first.save();

    // When the next batch reads the saved cursor
    Cursors second = new Cursors(state);
    assertThat(second.remaining(0)).isEqualTo(5);
    walked.addAll(slots(second.take(0, 5)));

    // Then the two batches walk the same order as one uninterrupted walk
    assertThat(walked).isEqualTo(expected);
  }

  @Test
  void slotTakenBeforeAWrapIsSkippedInTheSameBatch() {
    // Given a batch that took the last slot of cycle 0 of a cluster of 3
    TrainerState state = trainer();
    Cursors before = new Cursors(state);
    before.startCycle(0, 0, 3);
    before.take(0, 2);
    before.save();
    Cursors batch = new Cursors(state);
    List<Draw.Pick> tail = batch.take(0, 1);

    // When the same batch wraps into cycle 1 and asks for the whole cluster
    batch.startCycle(0, 1, 3);
    List<Draw.Pick> wrapped = batch.take(0, 3);

    // Then it gets only the two other slots: no example twice in one batch
    assertThat(tail).hasSize(1);
    assertThat(wrapped).hasSize(2);
    assertThat(slots(wrapped)).doesNotContain(tail.get(0).slot());
    assertThat(wrapped).allSatisfy(p -> assertThat(p.cycle()).isEqualTo(1));
  }

  @Test
  void differentCyclesUseDifferentOrders() {
    // Given cycles 0 and 1 of the same cluster of 50
    Cursors a = new Cursors(trainer());
    a.startCycle(0, 0, 50);
    Cursors b = new Cursors(trainer());
    b.startCycle(0, 1, 50);

    // Then their orders differ (the pool is reshuffled every cycle)
    assertThat(slots(a.take(0, 50))).isNotEqualTo(slots(b.take(0, 50)));
  }
}
