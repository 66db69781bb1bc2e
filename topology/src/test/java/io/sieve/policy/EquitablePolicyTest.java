package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EquitablePolicyTest {

  private final EquitablePolicy policy = new EquitablePolicy();

  private static PlanContext context() {
    return new PlanContext(
        PolicyTestData.sizes(1000, 1000),
        Map.of(
            0, Map.of("lang=en", 500L, "lang=sw", 500L),
            1, Map.of("lang=en", 500L, "lang=sw", 500L)),
        null);
  }

  @Test
  void shouldRecoverAPowerLawFromItsPoints() {
    LearningCurve.Sums s = new LearningCurve.Sums(0, 0, 0, 0, 0, 0, 0);
    for (int n : new int[] {10, 100, 1000, 5000}) {
      s = s.add(n, 3.0 * Math.pow(n, -0.4), n);
    }
    LearningCurve c = LearningCurve.fit(s, 0.5);
    assertThat(c.a()).isCloseTo(0.4, within(1e-9));
    assertThat(c.b()).isCloseTo(3.0, within(1e-9));
  }

  @Test
  void shouldRequireTheAttribute() {
    assertThatThrownBy(() -> policy.checkParams(Map.of()))
        .hasMessageContaining(EquitablePolicy.ATTRIBUTE);
  }

  /** Ten rounds of plan and feedback, en learning fast, sw slowly; sw's share per round. */
  private double[] swShares(Map<String, String> params) {
    // Given en learns fast (L = 2·n^-0.5) and sw slowly (L = 2·n^-0.1)
    Map<String, String> all = new java.util.HashMap<>(params);
    all.put(EquitablePolicy.ATTRIBUTE, "lang");
    TrainerState state = PolicyTestData.state(EquitablePolicy.NAME, all);
    double[] sw = new double[10];
    // When ten rounds of plan and group-loss feedback go by
    for (int r = 0; r < 10; r++) {
      Draw d = policy.draw(state, context(), 100, Seeds.mix(4, r));
      sw[r] = d.groupShares().get("lang=sw");
      double nEn = state.getPolicyState().get("n.en");
      double nSw = state.getPolicyState().get("n.sw");
      TrainerFeedback fb =
          TrainerFeedback.newBuilder()
              .setTrainerId("t")
              .setBatchId("t-" + r)
              .setGroupLosses(
                  Map.of("lang=en", 2 * Math.pow(nEn, -0.5), "lang=sw", 2 * Math.pow(nSw, -0.1)))
              .build();
      policy.onFeedback(fb, state, context());
    }
    return sw;
  }

  @Test
  void shouldRaiseTheShareOfTheGroupWithTheWorstLearningCurve() {
    double[] sw = swShares(Map.of(EquitablePolicy.FLOOR, "0"));
    // Then without a floor sw's share climbs, by at most 0.1 a round, to well above half
    assertThat(sw[0]).isLessThanOrEqualTo(0.6 + 1e-9);
    assertThat(sw[9]).isGreaterThan(0.8);
  }

  @Test
  void shouldKeepTheFloorOfThePoolsMixForTheEasyGroup() {
    double[] sw = swShares(Map.of(EquitablePolicy.FLOOR, "0.5"));
    // Then sw rises, but en keeps at least ε × its pool share = 0.25 of every batch
    assertThat(sw[9]).isGreaterThan(0.6);
    for (double v : sw) {
      assertThat(v).isLessThanOrEqualTo(0.75 + 1e-9);
    }
  }

  @Test
  void shouldRateLimitShareChanges() {
    double[] share = {1.0, 0.0};
    EquitablePolicy.project(share, new double[] {0.4, 0.4}, new double[] {0.6, 0.6});
    assertThat(share[0]).isCloseTo(0.6, within(1e-12));
    assertThat(share[1]).isCloseTo(0.4, within(1e-12));
  }

  @Test
  void shouldSpendOnTheWorstGroupWhenNoStepLowersTheMaximum() {
    // Given a worst group whose curve is flat (more data does not lower its predicted loss) and an
    // easy group whose loss still falls steeply
    EquitablePolicy.Settings worstGroup =
        new EquitablePolicy.Settings("g", true, 1.0, 0.1, java.util.Map.of(), 0.5, 0.0);
    LearningCurve[] curves = {new LearningCurve(0.0, 2.0), new LearningCurve(1.0, 1.0)};
    // When a batch of 10 is allocated under the worst-group objective
    int[] m =
        EquitablePolicy.greedy(
            worstGroup,
            curves,
            new double[] {5, 5},
            new double[] {1, 1},
            new long[] {100, 100},
            10);
    // Then it goes to the worst group, not to the group that is easiest to improve
    assertThat(m[0]).isEqualTo(10);
    assertThat(m[1]).isZero();
  }
}
