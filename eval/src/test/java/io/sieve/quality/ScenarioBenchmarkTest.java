package io.sieve.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScenarioBenchmarkTest {

  /** A stream of 90 examples of group a, 10 of b and 20 of c. */
  private static ScenarioData groups() {
    List<ScenarioData.Example> stream = new ArrayList<>();
    Map<String, Integer> counts = Map.of("a", 90, "b", 10, "c", 20);
    counts.forEach(
        (g, n) -> {
          for (int i = 0; i < n; i++) {
            stream.add(new ScenarioData.Example(g + i, "x", null, 0, Map.of("g", g)));
          }
        });
    return TestScenarioData.of(Scenario.S3, 2, 4, stream, 0, stream, -1);
  }

  @Test
  void shouldGiveTheScarcestValueItsFixedShareAndTheOthersTheRestBySupply() {
    // When the targets of share-0.3 are taken over groups of 90, 10 and 20
    String targets = ScenarioBenchmark.targets(groups(), "share-0.3");
    // Then b, the scarcest, gets 0.3 and a and c split 0.7 as 90 : 20 (rounded down)
    assertThat(targets).isEqualTo("g=a:0.572727,g=b:0.300000,g=c:0.127272");
  }

  @Test
  void shouldWriteSharesAPolicyAcceptsWhateverTheirRounding() {
    // Given S5's class counts, whose square-root shares rounded to the nearest millionth sum to
    // 1.000001
    int[] counts = {6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60};
    List<ScenarioData.Example> stream = new ArrayList<>();
    for (int c = 0; c < counts.length; c++) {
      for (int i = 0; i < counts[c]; i++) {
        stream.add(new ScenarioData.Example(c + "-" + i, "x", null, c, Map.of()));
      }
    }
    ScenarioData longTail =
        TestScenarioData.of(Scenario.S5, counts.length, 4, stream, stream.size(), null, -1);
    // When the square-root-balanced targets are taken over the labels
    String targets = ScenarioBenchmark.targets(longTail, "sqrt-balanced");
    double sum = 0;
    for (String part : targets.split(",")) {
      sum += Double.parseDouble(part.substring(part.indexOf(':') + 1));
    }
    // Then they sum to at most 1, within the rounding of 1, and uniform takes them
    assertThat(sum).isLessThanOrEqualTo(1).isGreaterThan(1 - 1e-5);
    new io.sieve.policy.UniformPolicy().checkParams(Map.of("group.targets", targets));
  }

  @Test
  void shouldAcceptFixedSharesAndVariantsAndRefuseWhatTheyCannotMean() {
    assertThat(ScenarioBenchmark.unknown("share-0.2")).isNull();
    assertThat(ScenarioBenchmark.unknown("share-1.5")).isNotNull();
    assertThat(ScenarioBenchmark.unknown("iterative-refinement:refinement.floor=1")).isNull();
    assertThat(ScenarioBenchmark.unknown("iterative-refinement:refinement.floor=7"))
        .contains("refinement.floor");
    assertThat(ScenarioBenchmark.variant("iterative-refinement:refinement.start=equal").params())
        .containsEntry("refinement.start", "equal");
    assertThat(ScenarioBenchmark.variant("no-such-policy:a=b")).isNull();
  }

  @Test
  void shouldLetAVariantLeaveItsGroupAttributeToTheScenario() {
    // A variant of a policy that needs a group attribute, naming none: the scenario fills it in
    assertThat(ScenarioBenchmark.unknown("group-refinement:refinement.floor=0.5")).isNull();
    assertThat(ScenarioBenchmark.unknown("group-refinement:refinement.floor=2"))
        .contains("refinement.floor");

    // and only under the keys the policy takes; a variant's own attribute stays
    assertThat(
            ScenarioBenchmark.withAttribute(
                "group-refinement", Map.of("refinement.floor", "0.5"), "pos"))
        .containsEntry("refinement.attribute", "pos")
        .doesNotContainKeys("equitable.attribute", "stratified.attribute");
    assertThat(
            ScenarioBenchmark.withAttribute(
                "group-refinement", Map.of("refinement.attribute", "@label"), "pos"))
        .containsEntry("refinement.attribute", "@label");
    assertThat(ScenarioBenchmark.withAttribute("uniform", Map.of(), "pos")).isEmpty();
  }

  /** A drift stream: 200 examples of class 0 first, then 50 of class 1 arriving mid-run. */
  private static ScenarioData drift() {
    List<ScenarioData.Example> stream = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      int label = i < 200 ? 0 : 1;
      stream.add(new ScenarioData.Example("e" + i, "x", null, label, Map.of("g", "a")));
    }
    return TestScenarioData.of(Scenario.S6, 2, 4, stream, 200, null, 1);
  }

  @Test
  void shouldServeNothingThatArrivedMidCycleBeforeAFrozenCycleEnds() {
    // When frozen-cycle uniform reads the drift stream with a budget of 100
    ScenarioBenchmark.LocalOrder frozen =
        ScenarioBenchmark.localOrder("frozen-uniform", drift(), 100, 10, new java.util.Random(3));
    // Then the second phase counts as arrived at half the budget, but the first cycle serves all
    // 200 examples pooled before it, each once, before any arrival, and the next cycle all 250
    assertThat(frozen.arrivalAt()).isEqualTo(50);
    List<ScenarioData.Example> first = frozen.order().subList(0, 200);
    assertThat(first).allSatisfy(e -> assertThat(e.label()).isZero());
    assertThat(first.stream().map(ScenarioData.Example::id).distinct()).hasSize(200);
    assertThat(frozen.order().subList(200, frozen.order().size())).hasSize(250);
    // where the raw stream turns to the arrivals the moment they come
    ScenarioBenchmark.LocalOrder raw =
        ScenarioBenchmark.localOrder("raw-uniform", drift(), 100, 10, new java.util.Random(3));
    assertThat(raw.arrivalAt()).isEqualTo(50);
    assertThat(raw.order().get(50).label()).isEqualTo(1);
  }
}
