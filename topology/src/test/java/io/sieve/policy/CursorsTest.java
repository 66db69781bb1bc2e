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

  @Test
  void arrivalsOfTheCycleAreServedBlockByBlockEachOnce() {
    // Given cycle 0 of a cluster of 10 whose pool then grows to 16
    TrainerState state = trainer();
    Cursors cursors = new Cursors(state);
    cursors.startCycle(0, 0, 10);
    assertThat(cursors.extensionRemaining(0, 10)).isZero();
    assertThat(cursors.extensionRemaining(0, 16)).isEqualTo(6);

    // When four arrivals are taken, and the pool grows to 20 before the rest
    List<Long> first = slots(cursors.takeExtension(0, 4, 16));
    cursors.save();
    Cursors next = new Cursors(state);
    assertThat(next.extensionRemaining(0, 20)).isEqualTo(6);
    List<Long> rest = slots(next.takeExtension(0, 10, 20));

    // Then the first block (10..15) is used up before the second (16..19) opens, every arrival
    // comes once, the cycle's own slots are not touched, and nothing is left
    assertThat(first).allSatisfy(s -> assertThat(s).isBetween(10L, 15L));
    assertThat(rest.subList(0, 2)).allSatisfy(s -> assertThat(s).isBetween(10L, 15L));
    assertThat(rest.subList(2, 6)).allSatisfy(s -> assertThat(s).isBetween(16L, 19L));
    List<Long> all = new ArrayList<>(first);
    all.addAll(rest);
    assertThat(all).containsExactlyInAnyOrderElementsOf(LongStream.range(10, 20).boxed().toList());
    assertThat(next.extensionRemaining(0, 20)).isZero();
    assertThat(next.remaining(0)).isEqualTo(10);
  }

  @Test
  void aClusterFirstSeenMidCycleIsAllArrivals() {
    // Given a cluster first seen mid-cycle (no slots of the cycle's start) with 3 items
    Cursors cursors = new Cursors(trainer());
    cursors.join(5, 2);
    assertThat(cursors.get(5).getCycle()).isEqualTo(2);
    assertThat(cursors.extensionRemaining(5, 3)).isEqualTo(3);

    // When the pool grows to 8 before anything was drawn, and all of it is taken
    List<Draw.Pick> picks = cursors.takeExtension(5, 8, 8);

    // Then the 8 slots come once each in a shuffled order, all in cycle 2
    assertThat(slots(picks))
        .containsExactlyInAnyOrderElementsOf(LongStream.range(0, 8).boxed().toList());
    assertThat(slots(picks)).isNotEqualTo(LongStream.range(0, 8).boxed().toList());
    assertThat(picks).allSatisfy(p -> assertThat(p.cycle()).isEqualTo(2));
  }
}
