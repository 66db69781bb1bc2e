package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.TrainerState;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StratifiedPolicyTest {

  private final StratifiedPolicy stratified = StratifiedPolicy.stratified();
  private final StratifiedPolicy labels = StratifiedPolicy.labelBalanced();

  /** Two clusters; values a, b, c hold 600, 300 and {@code c} items, and nothing else. */
  private static PlanContext context(long c) {
    return new PlanContext(
        PolicyTestData.sizes(500, 400 + c),
        Map.of(
            0, Map.of("src=a", 400L, "src=b", 100L),
            1, Map.of("src=a", 200L, "src=b", 200L, "src=c", c)),
        null);
  }

  private static TrainerState trainer(Map<String, String> params) {
    return PolicyTestData.state(StratifiedPolicy.NAME, params);
  }

  private static int count(Draw d, String key, int n) {
    return (int) Math.round(d.groupShares().getOrDefault(key, 0.0) * n);
  }

  @Test
  void shouldGiveEveryValueAnEqualPartOfEveryBatch() {
    // Given values of 600, 300 and 100 items
    TrainerState state = trainer(Map.of(StratifiedPolicy.ATTRIBUTE, "src"));
    for (int b = 0; b < 20; b++) {
      // When a batch of 30 is drawn
      Draw d = stratified.draw(state, context(100), 30, Seeds.mix(2, b));
      // Then it holds 10 of each, and the uniform cursor picks travel along as candidates
      assertThat(count(d, "src=a", 30)).isEqualTo(10);
      assertThat(count(d, "src=b", 30)).isEqualTo(10);
      assertThat(count(d, "src=c", 30)).isEqualTo(10);
      assertThat(d.total()).isEqualTo(30);
    }
  }

  @Test
  void shouldRefillAValueShortOfItemsFromTheOthers() {
    // Given value c holds only 4 items
    TrainerState state = trainer(Map.of(StratifiedPolicy.ATTRIBUTE, "src"));
    // When a batch of 30 is drawn
    Draw d = stratified.draw(state, context(4), 30, 5L);
    // Then c gives all 4 and a and b share the rest equally
    assertThat(count(d, "src=c", 30)).isEqualTo(4);
    assertThat(count(d, "src=a", 30)).isEqualTo(13);
    assertThat(count(d, "src=b", 30)).isEqualTo(13);
  }

  @Test
  void shouldKeepItemsWithoutTheAttributeAsAStratumOfTheirOwn() {
    // Given 100 of the 1,000 items carry no src value
    TrainerState state = trainer(Map.of(StratifiedPolicy.ATTRIBUTE, "src"));
    PlanContext context =
        new PlanContext(PolicyTestData.sizes(500, 500), context(0).groupCounts(), null);
    // When a batch of 30 is drawn
    Draw d = stratified.draw(state, context, 30, 5L);
    // Then a and b get 10 each, and the 10 left come from "other"
    assertThat(count(d, "src=a", 30)).isEqualTo(10);
    assertThat(count(d, "src=b", 30)).isEqualTo(10);
    assertThat(d.groupShares()).doesNotContainKey("src=c");
  }

  @Test
  void shouldHoldFractionalPartsExactlyOnAverage() {
    // Given √-balancing (γ = 0.5) over 600, 300 and 100: weights 24.5, 17.3, 10
    TrainerState state =
        trainer(Map.of(StratifiedPolicy.ATTRIBUTE, "src", StratifiedPolicy.POWER, "0.5"));
    double sumC = 0;
    int batches = 400;
    for (int b = 0; b < batches; b++) {
      Draw d = stratified.draw(state, context(100), 16, Seeds.mix(3, b));
      sumC += count(d, "src=c", 16);
    }
    // Then c's mean share is its weight's share, though 16 items never split it exactly
    double want = 10 / (Math.sqrt(600) + Math.sqrt(300) + 10);
    assertThat(sumC / (16.0 * batches)).isCloseTo(want, within(0.005));
  }

  @Test
  void shouldBalanceLabelsFromThePoolsLabelCounts() {
    // Given a pool whose labels are a long tail, counted under the label attribute
    PlanContext context =
        new PlanContext(
            PolicyTestData.sizes(500, 500),
            Map.of(
                0, Map.of(GroupValues.LABEL + "=cat", 490L, GroupValues.LABEL + "=yak", 10L),
                1, Map.of(GroupValues.LABEL + "=cat", 495L, GroupValues.LABEL + "=yak", 5L)),
            null);
    TrainerState state = PolicyTestData.state(StratifiedPolicy.LABEL_BALANCED, Map.of());
    // When a batch of 20 is drawn
    Draw d = labels.draw(state, context, 20, 1L);
    // Then it holds 10 of each label
    assertThat(d.groupShares())
        .containsEntry(GroupValues.LABEL + "=cat", 0.5)
        .containsEntry(GroupValues.LABEL + "=yak", 0.5);
  }

  @Test
  void shouldRejectBadParameters() {
    assertThatThrownBy(() -> stratified.checkParams(Map.of()))
        .hasMessageContaining(StratifiedPolicy.ATTRIBUTE);
    assertThatThrownBy(
            () ->
                stratified.checkParams(
                    Map.of(StratifiedPolicy.ATTRIBUTE, "src", StratifiedPolicy.POWER, "2")))
        .hasMessageContaining(StratifiedPolicy.POWER);
    assertThatThrownBy(() -> labels.checkParams(Map.of(GroupQuotas.TARGETS, "src=a:0.5")))
        .hasMessageContaining(GroupQuotas.TARGETS);
  }
}
