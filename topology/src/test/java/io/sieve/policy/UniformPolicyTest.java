package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class UniformPolicyTest {

  private static final int BATCH = 4;

  private final UniformPolicy policy = new UniformPolicy();

  /** One drawn example: where it sits and the cycle it was drawn in. */
  private record Slot(int cluster, long slot, long cycle) {
    Slot position() {
      return new Slot(cluster, slot, -1);
    }
  }

  private static TrainerState trainer(long seed) {
    return TrainerState.newBuilder()
        .setTrainerId("t")
        .setSpec(TrainerSpec.newBuilder().setTrainerId("t").setSeed(seed).build())
        .build();
  }

  private static SortedMap<Integer, Long> sizes(long... perCluster) {
    SortedMap<Integer, Long> sizes = new TreeMap<>();
    for (int c = 0; c < perCluster.length; c++) {
      sizes.put(c, perCluster[c]);
    }
    return sizes;
  }

  private static List<Slot> slots(Draw draw) {
    List<Slot> out = new ArrayList<>();
    for (Map.Entry<Integer, List<Draw.Pick>> e : draw.picks().entrySet()) {
      for (Draw.Pick p : e.getValue()) {
        out.add(new Slot(e.getKey(), p.slot(), p.cycle()));
      }
    }
    return out;
  }

  private List<List<Slot>> draw(TrainerState state, SortedMap<Integer, Long> sizes, int batches) {
    List<List<Slot>> out = new ArrayList<>();
    for (int b = 0; b < batches; b++) {
      out.add(slots(policy.draw(state, sizes, BATCH, Seeds.mix(7, state.getSequence(), b))));
    }
    return out;
  }

  private static Set<Slot> allPositions(SortedMap<Integer, Long> sizes) {
    Set<Slot> all = new HashSet<>();
    sizes.forEach(
        (cluster, size) -> {
          for (long s = 0; s < size; s++) {
            all.add(new Slot(cluster, s, -1));
          }
        });
    return all;
  }

  @Test
  void threeBatchesDrawTwelveDistinctExamplesOfTheFirstCycle() {
    // Given a pool of 13 examples in clusters of 7, 5 and 1
    TrainerState state = trainer(1);
    SortedMap<Integer, Long> sizes = sizes(7, 5, 1);

    // When three batches of 4 are drawn
    List<Slot> picks = draw(state, sizes, 3).stream().flatMap(List::stream).toList();

    // Then all 12 picks belong to cycle 0, exist in the pool and never repeat
    assertThat(picks).hasSize(12).allSatisfy(p -> assertThat(p.cycle()).isZero());
    assertThat(picks.stream().map(Slot::position).toList())
        .doesNotHaveDuplicates()
        .allMatch(allPositions(sizes)::contains);
    assertThat(state.getCycle()).isZero();
  }

  @Test
  void fourthBatchTakesTheLastExampleThenWrapsIntoTheNextCycle() {
    // Given three batches drawn from a pool of 13
    TrainerState state = trainer(1);
    SortedMap<Integer, Long> sizes = sizes(7, 5, 1);
    List<List<Slot>> first = draw(state, sizes, 3);

    // When a fourth batch is drawn
    Draw fourth = policy.draw(state, sizes, BATCH, 99L);
    List<Slot> picks = slots(fourth);

    // Then it is full, starts in cycle 0 and holds no example twice
    assertThat(picks).hasSize(BATCH);
    assertThat(fourth.cycle()).isZero();
    assertThat(picks.stream().map(Slot::position).toList()).doesNotHaveDuplicates();
    // and it takes exactly the one example cycle 0 had left, so cycle 0 covers the pool once
    List<Slot> cycleZero = new ArrayList<>();
    first.forEach(cycleZero::addAll);
    picks.stream().filter(p -> p.cycle() == 0).forEach(cycleZero::add);
    assertThat(picks.stream().filter(p -> p.cycle() == 0)).hasSize(1);
    assertThat(cycleZero.stream().map(Slot::position).toList())
        .hasSize(13)
        .containsExactlyInAnyOrderElementsOf(allPositions(sizes));
    // and the rest comes from cycle 1, which the trainer is now in
    assertThat(picks.stream().filter(p -> p.cycle() == 1)).hasSize(3);
    assertThat(state.getCycle()).isEqualTo(1);
  }

  @Test
  void everyCycleVisitsEachExampleAtMostOnceOverManyBatches() {
    // Given a pool of 13 and twenty batches of 4 (six cycles and more)
    TrainerState state = trainer(3);
    SortedMap<Integer, Long> sizes = sizes(7, 5, 1);

    // When they are drawn
    List<List<Slot>> batches = draw(state, sizes, 20);

    // Then no batch repeats an example, and no cycle visits one example twice
    Map<Long, List<Slot>> byCycle = new TreeMap<>();
    for (List<Slot> batch : batches) {
      assertThat(batch).hasSize(BATCH);
      assertThat(batch.stream().map(Slot::position).toList()).doesNotHaveDuplicates();
      batch.forEach(p -> byCycle.computeIfAbsent(p.cycle(), k -> new ArrayList<>()).add(p));
    }
    assertThat(byCycle).hasSizeGreaterThanOrEqualTo(6);
    byCycle.forEach(
        (cycle, picks) ->
            assertThat(picks.stream().map(Slot::position).toList())
                .as("cycle %d", cycle)
                .doesNotHaveDuplicates()
                .allMatch(allPositions(sizes)::contains));
  }

  @Test
  void sameSeedGivesTheSameDraws() {
    // Given two trainers with the same seed, and one with another
    SortedMap<Integer, Long> sizes = sizes(7, 5, 1);

    // When each draws five batches with the same batch seeds
    List<List<Slot>> a = draw(trainer(5), sizes, 5);
    List<List<Slot>> b = draw(trainer(5), sizes, 5);
    List<List<Slot>> other = draw(trainer(6), sizes, 5);

    // Then the same seed replays the same batches, and another seed gives other ones
    assertThat(a).isEqualTo(b);
    assertThat(other).isNotEqualTo(a);
  }

  @Test
  void examplesArrivingMidCycleAreServedInTheCurrentCycle() {
    // Given a trainer one batch into cycle 0 of a pool of 13
    TrainerState state = trainer(1);
    draw(state, sizes(7, 5, 1), 1);

    // When cluster 0 grows by 2 and a new cluster 3 of 10 appears, and the cycle is drawn out
    // (9 + 2 + 10 = 21 examples left, so five more batches of 4 and one of the sixth)
    SortedMap<Integer, Long> grown = sizes(9, 5, 1, 10);
    List<Slot> rest = draw(state, grown, 6).stream().flatMap(List::stream).toList();
    List<Slot> restOfCycle = rest.stream().filter(p -> p.cycle() == 0).toList();

    // Then the rest of cycle 0 holds the new cluster and the new slots of cluster 0, each once,
    // and the cycle ends exactly when all 23 examples were served
    assertThat(restOfCycle).hasSize(21);
    assertThat(restOfCycle.stream().map(Slot::position).toList()).doesNotHaveDuplicates();
    assertThat(restOfCycle.stream().filter(p -> p.cluster() == 3)).hasSize(10);
    assertThat(restOfCycle.stream().filter(p -> p.cluster() == 0 && p.slot() >= 7)).hasSize(2);
    assertThat(rest.stream().filter(p -> p.cycle() == 1)).hasSize(3);
    assertThat(new Cursors(state).get(3).getSize()).isEqualTo(10);
  }

  @Test
  void noExampleRepeatsWhileAnEarlierPooledOneIsUnservedOnAGrowingPool() {
    // Given a pool that grows every batch (existing clusters and, now and then, a new one)
    TrainerState state = trainer(11);
    SortedMap<Integer, Long> sizes = sizes(20, 3);
    Random arrivals = new Random(5);
    Map<Long, Set<Slot>> byCycle = new TreeMap<>();
    int cyclesEnded = 0;
    long lastCycle = 0;

    for (int b = 0; b < 400; b++) {
      for (int a = arrivals.nextInt(4); a > 0; a--) {
        int cluster = arrivals.nextInt(sizes.size() + (arrivals.nextInt(20) == 0 ? 1 : 0));
        sizes.merge(cluster, 1L, Long::sum);
      }
      // When a batch of 6 is drawn
      List<Slot> batch = slots(policy.draw(state, sizes, 6, Seeds.mix(3, b)));

      // Then it is full and holds no example twice
      assertThat(batch).hasSize(6);
      assertThat(batch.stream().map(Slot::position).toList()).doesNotHaveDuplicates();
      for (Slot p : batch) {
        assertThat(p.slot()).isLessThan(sizes.get(p.cluster()));
        assertThat(byCycle.computeIfAbsent(p.cycle(), c -> new HashSet<>()).add(p.position()))
            .as("cycle %d serves %s once", p.cycle(), p.position())
            .isTrue();
      }
      // and a new cycle begins only once everything pooled so far was served in the last one
      long newest = batch.stream().mapToLong(Slot::cycle).max().orElseThrow();
      if (newest > lastCycle) {
        assertThat(newest).isEqualTo(lastCycle + 1);
        Set<Slot> served = byCycle.get(lastCycle);
        assertThat(served).containsExactlyInAnyOrderElementsOf(allPositions(sizes));
        lastCycle = newest;
        cyclesEnded++;
      }
    }
    assertThat(cyclesEnded).isGreaterThanOrEqualTo(3);
    assertThat(sizes.size()).isGreaterThan(2);
  }

  private static TrainerState recencyTrainer(long seed, double share) {
    return TrainerState.newBuilder()
        .setTrainerId("t")
        .setSpec(
            TrainerSpec.newBuilder()
                .setTrainerId("t")
                .setSeed(seed)
                .setParams(Map.of(UniformPolicy.RECENCY_SHARE, Double.toString(share)))
                .build())
        .build();
  }

  /** Examples of cluster 0 at or beyond {@code from} (the arrivals) in {@code batches} batches. */
  private int arrivalsServed(TrainerState state, SortedMap<Integer, Long> sizes, long from) {
    int fresh = 0;
    for (int b = 0; b < 4; b++) {
      for (Slot s : slots(policy.draw(state, sizes, 10, Seeds.mix(11, b)))) {
        if (s.cluster() == 0 && s.slot() >= from) {
          fresh++;
        }
      }
    }
    return fresh;
  }

  @Test
  void recencyShareDrawsThatShareOfEachBatchFromTheCyclesArrivals() {
    // Given two trainers that started a cycle over 200 examples, one with recency.share 0.5
    TrainerState mixed = recencyTrainer(5, 0.5);
    TrainerState plain = trainer(5);
    SortedMap<Integer, Long> sizes = sizes(100, 100);
    policy.draw(mixed, sizes, 10, 1);
    policy.draw(plain, sizes, 10, 1);

    // When 50 examples arrive in cluster 0 and four batches of 10 are drawn
    sizes.put(0, 150L);
    int mixedFresh = arrivalsServed(mixed, sizes, 100);
    int plainFresh = arrivalsServed(plain, sizes, 100);

    // Then half of each batch (5 of 10) is arrivals, plus what the uniform half finds among them
    assertThat(mixedFresh).isGreaterThanOrEqualTo(20);
    // while plain RS2 serves them at their share of the unserved pool (about 50/240)
    assertThat(plainFresh).isLessThan(20);
  }

  @Test
  void recencyTakesEveryArrivalWhenTooFewAndFillsTheBatchUniformly() {
    // Given a cycle begun over 40 examples, then 2 arrivals in cluster 1
    TrainerState state = recencyTrainer(6, 0.5);
    SortedMap<Integer, Long> sizes = sizes(20, 20);
    policy.draw(state, sizes, 10, 1);
    sizes.put(1, 22L);

    // When a batch of 10 is drawn
    List<Slot> batch = slots(policy.draw(state, sizes, 10, 2));

    // Then both arrivals are in it, and it is full with no example twice
    assertThat(batch).hasSize(10);
    assertThat(batch.stream().map(Slot::position).toList()).doesNotHaveDuplicates();
    assertThat(batch)
        .filteredOn(s -> s.cluster() == 1 && s.slot() >= 20)
        .extracting(Slot::slot)
        .containsExactlyInAnyOrder(20L, 21L);
  }

  @Test
  void recencyExpectedSharesGiveTheSamplingWeights() {
    // Given a cycle begun over 250 examples, and 50 unserved arrivals, all in cluster 0
    TrainerState state = recencyTrainer(8, 0.5);
    SortedMap<Integer, Long> sizes = sizes(100, 100);
    policy.draw(state, sizes, 10, 1);
    sizes.put(0, 150L);

    // When a batch of 10 is drawn
    Draw draw = policy.draw(state, sizes, 10, 2);

    // Then s_0 = 0.5·150/250 + 0.5·50/50 = 0.8 and s_1 = 0.5·100/250 = 0.2
    Map<Integer, Double> shares = policy.batchShares(state, PlanContext.ofSizes(sizes), draw);
    assertThat(shares.get(0)).isCloseTo(0.8, org.assertj.core.api.Assertions.within(1e-12));
    assertThat(shares.get(1)).isCloseTo(0.2, org.assertj.core.api.Assertions.within(1e-12));
    // and the weights (N_k/N)/s_k: 0.6/0.8 and 0.4/0.2
    Map<Integer, Double> w = SamplingWeights.of(sizes, shares);
    assertThat(w.get(0)).isCloseTo(0.75, org.assertj.core.api.Assertions.within(1e-12));
    assertThat(w.get(1)).isCloseTo(2.0, org.assertj.core.api.Assertions.within(1e-12));
  }

  @Test
  void withoutRecencyTheDrawCarriesNoExpectedShares() {
    TrainerState state = trainer(9);
    Draw draw = policy.draw(state, sizes(30, 30), 10, 1);

    assertThat(policy.batchShares(state, PlanContext.ofSizes(sizes(30, 30)), draw)).isNull();
  }

  @Test
  void recencyShareOutsideZeroToOneIsRefused() {
    for (String bad : List.of("1.5", "-0.1", "half")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> policy.checkParams(Map.of(UniformPolicy.RECENCY_SHARE, bad)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(UniformPolicy.RECENCY_SHARE);
    }
  }

  @Test
  void recencyKeepsTheNoRepeatGuaranteeOnAGrowingPool() {
    // Given a trainer with recency.share 0.4 on a pool that grows between batches
    TrainerState state = recencyTrainer(12, 0.4);
    SortedMap<Integer, Long> sizes = sizes(9, 6, 4);
    Random arrivals = new Random(21);
    java.util.Map<Long, Set<Slot>> byCycle = new TreeMap<>();
    for (int b = 0; b < 120; b++) {
      for (int a = arrivals.nextInt(4); a > 0; a--) {
        int cluster = arrivals.nextInt(sizes.size() + (arrivals.nextInt(20) == 0 ? 1 : 0));
        sizes.merge(cluster, 1L, Long::sum);
      }
      // When a batch of 6 is drawn
      List<Slot> batch = slots(policy.draw(state, sizes, 6, Seeds.mix(4, b)));

      // Then it is full, and no cycle serves an example twice
      assertThat(batch).hasSize(6);
      for (Slot p : batch) {
        assertThat(p.slot()).isLessThan(sizes.get(p.cluster()));
        assertThat(byCycle.computeIfAbsent(p.cycle(), c -> new HashSet<>()).add(p.position()))
            .as("cycle %d serves %s once", p.cycle(), p.position())
            .isTrue();
      }
    }
    assertThat(byCycle.size()).isGreaterThanOrEqualTo(3);
  }
}
