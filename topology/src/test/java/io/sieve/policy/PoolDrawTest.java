package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.BatchExample;
import io.sieve.avro.BatchHeader;
import io.sieve.avro.PlanFragment;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PoolDrawTest {

  /** 100 items, slot i scored i (slot 99 the hardest), lang=fr on every third. */
  private static List<PoolDraw.Item> items() {
    List<PoolDraw.Item> out = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      out.add(
          new PoolDraw.Item(
              i,
              BatchExample.newBuilder()
                  .setId("e" + i)
                  .setClusterId(1)
                  .setScore((double) i)
                  .setGroups(Map.of("lang", i % 3 == 0 ? "fr" : "en"))
                  .build()));
    }
    return out;
  }

  private static PlanFragment.Builder fragment(long seed) {
    BatchHeader header =
        BatchHeader.newBuilder()
            .setBatchId("b")
            .setTrainerId("t")
            .setSequence(0)
            .setRound(0)
            .setCycle(0)
            .setPolicy("p")
            .setPolicyStateVersion(0)
            .setSeed(seed)
            .setModelVersion(1)
            .setRequested(0)
            .setFragments(1)
            .setPlannedAt(Instant.EPOCH)
            .build();
    return PlanFragment.newBuilder().setHeader(header).setClusterId(1).setSlots(new ArrayList<>());
  }

  private static PlanFragment coverage(long seed, int count) {
    return fragment(seed)
        .setStrategy(CoveragePolicy.STRATEGY)
        .setStrategyParams(Map.of(CoveragePolicy.BETA_KEY, 0.3, CoveragePolicy.STRATA_KEY, 5.0))
        .setCount(count)
        .build();
  }

  @Test
  void shouldNeverEmitTheHardestBetaUnderCoverage() {
    // Given scores 0..99, β = 0.3: slots 70..99 are pruned
    for (long seed = 1; seed <= 50; seed++) {
      // When coverage draws 60 of the 70 that are left, under fifty seeds
      List<PoolDraw.Drawn> drawn = PoolDraw.draw(coverage(seed * 0x9e3779b97f4a7c15L, 60), items());
      // Then none is pruned, none repeats, and the budget is met
      assertThat(drawn).hasSize(60);
      assertThat(drawn).allSatisfy(d -> assertThat(d.slot()).isLessThan(70));
      assertThat(drawn.stream().map(PoolDraw.Drawn::slot).distinct().count()).isEqualTo(60);
    }
  }

  @Test
  void shouldFillStrataFromTheSmallestUp() {
    // Given scores in three equal-width strata over [0, 29.75]: {0, 1}, {15, 16, 17}, 20 in [25,
    // 30)
    List<PoolDraw.Item> items = new ArrayList<>();
    List<Double> scores = new ArrayList<>(List.of(0.0, 1.0, 15.0, 16.0, 17.0));
    for (int i = 0; i < 20; i++) {
      scores.add(25 + 0.25 * i);
    }
    for (int i = 0; i < scores.size(); i++) {
      items.add(
          new PoolDraw.Item(
              i,
              BatchExample.newBuilder()
                  .setId("e" + i)
                  .setClusterId(1)
                  .setScore(scores.get(i))
                  .build()));
    }
    // When 9 are drawn over 3 strata
    List<PoolDraw.Item> chosen = PoolDraw.stratified(items, 9, 3, new Random(5));
    // Then m = min(2, ⌊9/3⌋) = 2, min(3, ⌊7/2⌋) = 3, min(20, ⌊4/1⌋) = 4
    int[] got = new int[3];
    for (PoolDraw.Item it : chosen) {
      double score = it.example().getScore();
      got[score < 10 ? 0 : score < 20 ? 1 : 2]++;
    }
    assertThat(got).containsExactly(2, 3, 4);
  }

  @Test
  void shouldHitGroupQuotasExactlyAndPreferTheGivenSlots() {
    // Given a fragment wanting 5 fr and 7 others, with slots 0 (fr), 1 (en) and 2 (en) preferred
    PlanFragment f =
        fragment(77)
            .setSlots(List.of(0L, 1L, 2L))
            .setCycles(List.of(4L, 4L, 4L))
            .setGroupAttribute("lang")
            .setGroupQuotas(new TreeMap<>(Map.of("fr", 5)))
            .setOtherQuota(7)
            .build();
    // When the pool draws it
    List<PoolDraw.Drawn> drawn = PoolDraw.draw(f, items());
    // Then the counts are exact, the preferred slots are in, and nothing repeats; every item is
    // drawn in its value's first pool-side cycle, which it names
    long fr = drawn.stream().filter(d -> "fr".equals(d.example().getGroups().get("lang"))).count();
    assertThat(fr).isEqualTo(5);
    assertThat(drawn).hasSize(12);
    Set<Long> slots = new HashSet<>();
    drawn.forEach(d -> assertThat(slots.add(d.slot())).isTrue());
    assertThat(slots).contains(0L, 1L, 2L);
    assertThat(drawn).allSatisfy(d -> assertThat(d.cycle()).isZero());
    assertThat(drawn)
        .allSatisfy(
            d -> assertThat(d.group()).isEqualTo("lang=" + d.example().getGroups().get("lang")));
  }

  /** The items with the marks the drawn ones leave, as the fulfil step writes them. */
  private static List<PoolDraw.Item> marked(List<PoolDraw.Item> items, List<PoolDraw.Drawn> drawn) {
    Map<Long, PoolDraw.Mark> marks = new TreeMap<>();
    for (PoolDraw.Drawn d : drawn) {
      if (d.group() != null) {
        marks.put(d.slot(), new PoolDraw.Mark(d.example().getId(), d.group(), d.cycle()));
      }
    }
    List<PoolDraw.Item> out = new ArrayList<>(items.size());
    for (PoolDraw.Item it : items) {
      PoolDraw.Mark m = marks.get(it.slot());
      out.add(m == null ? it : new PoolDraw.Item(it.slot(), it.example(), m));
    }
    return out;
  }

  @Test
  void shouldServeEveryItemOfAValueOncePerCycleUnderGroupQuotas() {
    // Given 100 items (34 fr, 66 en) and batches wanting exactly 5 fr and 7 en
    List<PoolDraw.Item> items = items();
    Map<String, List<String>> byCycle = new TreeMap<>();
    for (int batch = 0; batch < 40; batch++) {
      PlanFragment f =
          fragment(1000 + batch)
              .setGroupAttribute("lang")
              .setGroupQuotas(new TreeMap<>(Map.of("fr", 5, "en", 7)))
              .build();
      // When forty batches are drawn, each seeing the marks the earlier ones left
      List<PoolDraw.Drawn> drawn = PoolDraw.draw(f, items);
      assertThat(drawn).hasSize(12);
      for (PoolDraw.Drawn d : drawn) {
        byCycle
            .computeIfAbsent(d.group() + "#" + d.cycle(), k -> new ArrayList<>())
            .add(d.example().getId());
      }
      items = marked(items, drawn);
    }
    // Then no item repeats within its value's cycle, and each cycle that ended served all of its
    // value's items: fr (34 items at 5 a batch, 200 draws) runs cycles 0..5, en (66 at 7, 280)
    // cycles 0..4
    byCycle.forEach((cycle, ids) -> assertThat(ids).as(cycle).doesNotHaveDuplicates());
    for (int c = 0; c < 5; c++) {
      assertThat(byCycle.get("lang=fr#" + c)).as("fr cycle " + c).hasSize(34);
    }
    for (int c = 0; c < 4; c++) {
      assertThat(byCycle.get("lang=en#" + c)).as("en cycle " + c).hasSize(66);
    }
    assertThat(byCycle).containsKeys("lang=fr#5", "lang=en#4").doesNotContainKeys("lang=fr#6");
  }

  @Test
  void shouldRepeatNothingWithinACoverageCycleAndNeverThePruned() {
    // Given 100 items scored 0..99 under coverage (β = 0.3: 70 candidates)
    List<PoolDraw.Item> items = items();
    Map<Long, Set<Long>> byCycle = new TreeMap<>();
    for (int batch = 0; batch < 30; batch++) {
      // When thirty batches of 9 are drawn, each seeing the marks the earlier ones left
      List<PoolDraw.Drawn> drawn = PoolDraw.draw(coverage(7 + batch, 9), items);
      assertThat(drawn).hasSize(9);
      for (PoolDraw.Drawn d : drawn) {
        assertThat(d.slot()).isLessThan(70);
        assertThat(d.group()).isEmpty();
        assertThat(byCycle.computeIfAbsent(d.cycle(), k -> new HashSet<>()).add(d.slot()))
            .as("slot %d twice in cycle %d", d.slot(), d.cycle())
            .isTrue();
      }
      items = marked(items, drawn);
    }
    // Then 270 draws over 70 candidates: cycles 0..2 served all 70, cycle 3 the other 60
    for (long c = 0; c < 3; c++) {
      assertThat(byCycle.get(c)).as("cycle " + c).hasSize(70);
    }
    assertThat(byCycle.get(3L)).hasSize(60);
  }

  @Test
  void shouldCountASlotTheReservoirRefilledAsUnserved() {
    // Given every fr item was served in cycle 0, then slot 0 got a new example
    List<PoolDraw.Item> items = new ArrayList<>();
    for (PoolDraw.Item it : items()) {
      boolean fr = "fr".equals(it.example().getGroups().get("lang"));
      BatchExample e =
          it.slot() == 0
              ? BatchExample.newBuilder(it.example()).setId("fresh").build()
              : it.example();
      PoolDraw.Mark m = fr ? new PoolDraw.Mark(it.example().getId(), "lang=fr", 0) : null;
      items.add(new PoolDraw.Item(it.slot(), e, m));
    }
    PlanFragment f =
        fragment(3)
            .setGroupAttribute("lang")
            .setGroupQuotas(new TreeMap<>(Map.of("fr", 1)))
            .build();
    // When one fr is drawn
    List<PoolDraw.Drawn> drawn = PoolDraw.draw(f, items);
    // Then it is the new example, still in cycle 0
    assertThat(drawn)
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.example().getId()).isEqualTo("fresh");
              assertThat(d.cycle()).isZero();
            });
  }

  @Test
  void shouldDrawSpareItemsInPlaceOfOtherOnesWhenThePoolHoldsThem() {
    // Given a fragment planned from lagging statistics: 2 fr, 8 others, and 3 spare fr
    PlanFragment f =
        fragment(78)
            .setSlots(List.of(1L, 2L, 4L, 5L))
            .setCycles(List.of(4L, 4L, 4L, 4L))
            .setGroupAttribute("lang")
            .setGroupQuotas(new TreeMap<>(Map.of("fr", 2)))
            .setOtherQuota(8)
            .setGroupSpare(new TreeMap<>(Map.of("fr", 3)))
            .build();
    // When the pool, which holds 34 fr, draws it
    List<PoolDraw.Drawn> drawn = PoolDraw.draw(f, items());
    // Then it holds 5 fr and 5 others: the spare took the places of others, the size is kept
    assertThat(drawn).hasSize(10);
    assertThat(drawn.stream().map(PoolDraw.Drawn::slot).distinct().count()).isEqualTo(10);
    assertThat(fr(drawn)).isEqualTo(5);
    assertThat(drawn.stream().map(PoolDraw.Drawn::slot)).contains(1L, 2L, 4L, 5L);

    // When the pool holds only 3 fr
    List<PoolDraw.Item> fewFr = new ArrayList<>();
    for (PoolDraw.Item it : items()) {
      if (!"fr".equals(it.example().getGroups().get("lang")) || it.slot() < 9) {
        fewFr.add(it);
      }
    }
    List<PoolDraw.Drawn> short3 = PoolDraw.draw(f, fewFr);
    // Then it draws all 3 and gives the unused spare places back to others
    assertThat(short3).hasSize(10);
    assertThat(fr(short3)).isEqualTo(3);
  }

  private static long fr(List<PoolDraw.Drawn> drawn) {
    return drawn.stream().filter(d -> "fr".equals(d.example().getGroups().get("lang"))).count();
  }

  @Test
  void shouldDrawTheSameItemsForTheSameSeed() {
    assertThat(PoolDraw.draw(coverage(123456789L, 30), items()))
        .isEqualTo(PoolDraw.draw(coverage(123456789L, 30), items()));
  }

  @Test
  void shouldNeverPruneAnUnscoredItemAsHardest() {
    // Given 100 items of which the 40 newest (slots 60..99) have no score yet, β = 0.3
    List<PoolDraw.Item> items = new ArrayList<>();
    for (PoolDraw.Item it : items()) {
      BatchExample e = BatchExample.newBuilder(it.example()).build();
      if (it.slot() >= 60) {
        e.setScore(null);
      }
      items.add(new PoolDraw.Item(it.slot(), e));
    }
    // When the pruning runs: ⌊0.3 × 60⌋ = 18 of the 60 scored go, the hardest by score
    List<PoolDraw.Item> kept = PoolDraw.unpruned(items, 0.3);
    Set<Long> slots = new HashSet<>();
    kept.forEach(it -> slots.add(it.slot()));
    // Then every unscored item stays, and the pruned are slots 42..59
    assertThat(kept).hasSize(82);
    for (long s = 60; s < 100; s++) {
      assertThat(slots).contains(s);
    }
    for (long s = 42; s < 60; s++) {
      assertThat(slots).doesNotContain(s);
    }
    // and draws over fifty seeds can reach the unscored items
    Set<Long> seen = new HashSet<>();
    for (long seed = 1; seed <= 50; seed++) {
      PoolDraw.draw(coverage(seed, 20), items).forEach(d -> seen.add(d.slot()));
    }
    assertThat(seen).anyMatch(s -> s >= 60).noneMatch(s -> s >= 42 && s < 60);
  }

  @Test
  void shouldGiveTheUnscoredTheirUniformShareOfTheBudget() {
    // Given 60 scored items (scores 0..59) and 40 unscored
    List<PoolDraw.Item> items = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      items.add(
          new PoolDraw.Item(
              i,
              BatchExample.newBuilder()
                  .setId("e" + i)
                  .setClusterId(1)
                  .setScore(i < 60 ? (Double) (double) i : null)
                  .build()));
    }
    // When a budget of 20 is drawn over 5 strata
    List<PoolDraw.Item> chosen = PoolDraw.stratified(items, 20, 5, new Random(3));
    // Then the unscored get 20·40/100 = 8, uniform sampling's share, and the strata the other 12
    assertThat(chosen).hasSize(20).doesNotHaveDuplicates();
    assertThat(chosen.stream().filter(it -> it.slot() >= 60)).hasSize(8);
    // and a share with a fraction is right on average: 7·0.4 = 2.8
    double mean = 0;
    for (int seed = 0; seed < 4000; seed++) {
      mean +=
          PoolDraw.stratified(items, 7, 5, new Random(io.sieve.policy.Seeds.mix(11, seed))).stream()
                  .filter(it -> it.slot() >= 60)
                  .count()
              / 4000.0;
    }
    assertThat(mean).isCloseTo(2.8, org.assertj.core.api.Assertions.within(0.03));
  }

  @Test
  void shouldSpreadARoundsBudgetOverItsBatchesWithoutRepeats() {
    // Given a round of 5 batches of 6 items from this cluster: a budget of 30, strata by score
    Set<Long> taken = new HashSet<>();
    List<Long> order = new ArrayList<>();
    for (int b = 0; b < 5; b++) {
      PlanFragment f =
          fragment(1000 + b)
              .setStrategy(CoveragePolicy.STRATEGY)
              .setStrategyParams(
                  Map.of(
                      CoveragePolicy.BETA_KEY, 0.3,
                      CoveragePolicy.STRATA_KEY, 5.0,
                      CoveragePolicy.BUDGET_KEY, 30.0,
                      CoveragePolicy.OFFSET_KEY, 6.0 * b,
                      CoveragePolicy.ROUND_SEED_KEY, 77.0))
              .setCount(6)
              .build();
      // When each batch draws its 6
      List<PoolDraw.Drawn> drawn = PoolDraw.draw(f, items());
      assertThat(drawn).hasSize(6);
      drawn.forEach(d -> order.add(d.slot()));
      drawn.forEach(d -> taken.add(d.slot()));
    }
    // Then the five batches hold the round's CCS selection of 30, none twice: the same 30 a
    // single draw of the whole budget gives
    assertThat(taken).hasSize(30);
    List<PoolDraw.Item> kept = PoolDraw.unpruned(items(), 0.3);
    Set<Long> whole = new HashSet<>();
    PoolDraw.stratified(kept, 30, 5, new Random(io.sieve.policy.Seeds.mix(77L, 1)))
        .forEach(it -> whole.add(it.slot()));
    assertThat(taken).isEqualTo(whole);
  }

  @Test
  void shouldGiveEachFragmentItsOwnClustersParameters() {
    Map<String, Double> params =
        Map.of("beta", 0.3, "offset@1", 6.0, "offset@11", 9.0, "budget@1", 30.0);
    assertThat(CoveragePolicy.paramsFor(params, 1))
        .containsOnly(Map.entry("beta", 0.3), Map.entry("offset", 6.0), Map.entry("budget", 30.0));
    assertThat(CoveragePolicy.paramsFor(params, 11))
        .containsOnly(Map.entry("beta", 0.3), Map.entry("offset", 9.0));
  }

  @Test
  void shouldReplaceASlotThatHoldsAQuarantinedValueAndNeverEmitOne() {
    // Given a fragment of slots 0..9 (0, 3, 6 and 9 are lang=fr) with lang=fr quarantined
    List<Long> slots = new ArrayList<>();
    for (long s = 0; s < 10; s++) {
      slots.add(s);
    }
    PlanFragment f =
        fragment(5).setSlots(slots).setExcludedGroups(List.of("lang=fr", "lang=de")).build();

    // When the pool draws it
    List<PoolDraw.Drawn> drawn = PoolDraw.draw(f, items());

    // Then it scans, keeps the six lang=en slots, replaces the four others: ten, none fr
    assertThat(PoolDraw.needsScan(f)).isTrue();
    assertThat(drawn).hasSize(10);
    assertThat(fr(drawn)).isZero();
    Set<Long> taken = new HashSet<>();
    drawn.forEach(d -> taken.add(d.slot()));
    assertThat(taken).hasSize(10).contains(1L, 2L, 4L, 5L, 7L, 8L);
  }

  @Test
  void shouldKeepQuarantinedValuesOutOfGroupQuotas() {
    // Given quotas asking for 4 fr and 4 other, with lang=fr quarantined
    PlanFragment f =
        fragment(9)
            .setGroupAttribute("lang")
            .setGroupQuotas(new TreeMap<>(Map.of("fr", 4)))
            .setOtherQuota(4)
            .setExcludedGroups(List.of("lang=fr"))
            .build();

    // When the pool draws it
    List<PoolDraw.Drawn> drawn = PoolDraw.draw(f, items());

    // Then the fr quota goes unfilled rather than break the quarantine
    assertThat(fr(drawn)).isZero();
    assertThat(drawn).hasSize(4);
  }

  @Test
  void shouldMatchAQuarantineOnTheWholeValueOnly() {
    BatchExample en =
        BatchExample.newBuilder()
            .setId("x")
            .setClusterId(1)
            .setGroups(Map.of("lang", "en"))
            .build();
    assertThat(PoolDraw.excluded(en, List.of("lang=en"))).isTrue();
    assertThat(PoolDraw.excluded(en, List.of("lang=e", "language=en", "en"))).isFalse();
  }
}
