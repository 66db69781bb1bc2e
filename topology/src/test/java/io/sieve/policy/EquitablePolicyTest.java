package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.EvaluationRound;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

class EquitablePolicyTest {

  private static final int BATCH = 40;

  private final EquitablePolicy policy = new EquitablePolicy();

  /** A pool of 2,000: sw is 10 % of it, spread over two clusters. */
  private static PlanContext context() {
    return new PlanContext(
        PolicyTestData.sizes(1000, 1000),
        Map.of(
            0, Map.of("lang=en", 950L, "lang=sw", 50L),
            1, Map.of("lang=en", 850L, "lang=sw", 150L)),
        null);
  }

  private static TrainerState trainer(Map<String, String> params) {
    Map<String, String> all = new HashMap<>(params);
    all.put(EquitablePolicy.ATTRIBUTE, "lang");
    return PolicyTestData.state(EquitablePolicy.NAME, all);
  }

  private static double swShare(Draw d) {
    return d.groupShares().get("lang=sw");
  }

  /** What a run of batches did: sw's share of each batch, and its decided share per round. */
  private record Run(
      double[] batchShare, double[] current, List<Double> decided, TrainerState state) {}

  /**
   * {@code batches} batches of 40; after every {@code period} batches the trainer closes an
   * evaluation round with each group's validation loss at what it has trained on so far.
   */
  private Run run(
      Map<String, String> params,
      int batches,
      int period,
      DoubleUnaryOperator en,
      DoubleUnaryOperator sw) {
    TrainerState state = trainer(params);
    double[] share = new double[batches];
    double[] current = new double[batches];
    List<Double> decided = new ArrayList<>();
    double nEn = 0;
    double nSw = 0;
    long sinceEn = 0;
    long sinceSw = 0;
    for (int b = 0; b < batches; b++) {
      Draw d = policy.draw(state, context(), BATCH, Seeds.mix(4, b));
      share[b] = swShare(d);
      long sws = Math.round(share[b] * BATCH);
      nSw += sws;
      nEn += BATCH - sws;
      sinceSw += sws;
      sinceEn += BATCH - sws;
      TrainerFeedback.Builder fb = TrainerFeedback.newBuilder().setTrainerId("t").setBatchId("b");
      if ((b + 1) % period == 0) {
        fb.setEvaluation(
            EvaluationRound.newBuilder()
                .setRound(b / period)
                .setGroupLosses(
                    Map.of("lang=en", en.applyAsDouble(nEn), "lang=sw", sw.applyAsDouble(nSw)))
                .setTrainedGroupCounts(Map.of("lang=en", sinceEn, "lang=sw", sinceSw))
                .build());
        sinceEn = 0;
        sinceSw = 0;
      }
      policy.onFeedback(fb.build(), state, context());
      Double now = state.getPolicyState().get("share.sw");
      current[b] = now == null ? 0.1 : now;
      if ((b + 1) % period == 0 && now != null) {
        decided.add(now);
      }
    }
    return new Run(share, current, decided, state);
  }

  @Test
  void shouldFitACurveWithAnIrreducibleFloor() {
    // Given validation losses on L(n) = 0.3 + 2·n^-0.5
    double[] n = {10, 30, 100, 300, 1000, 3000, 10000};
    double[] loss = new double[n.length];
    for (int i = 0; i < n.length; i++) {
      loss[i] = 0.3 + 2 * Math.pow(n[i], -0.5);
    }
    // When a curve is fitted
    LearningCurve c = LearningCurve.fit(n, loss, 0.5);
    // Then it finds the floor, and predicts further out close to the truth
    assertThat(c.c()).isCloseTo(0.3, within(0.01));
    assertThat(c.a()).isCloseTo(0.5, within(0.05));
    assertThat(c.at(100_000)).isCloseTo(0.3 + 2 * Math.pow(100_000, -0.5), within(0.01));
    // and never promises a loss below the floor, however much data
    assertThat(c.examplesFor(c.c() - 0.01)).isInfinite();
    assertThat(c.examplesFor(0.35)).isBetween(1000.0, 2000.0);
  }

  @Test
  void shouldReadRisingLossesAsAFlatCurve() {
    LearningCurve c =
        LearningCurve.fit(new double[] {10, 100, 1000}, new double[] {1, 1.2, 1.3}, 0.5);
    assertThat(c.falls()).isFalse();
    assertThat(c.at(10)).isEqualTo(c.at(1e6));
  }

  @Test
  void shouldRequireTheAttribute() {
    assertThatThrownBy(() -> policy.checkParams(Map.of()))
        .hasMessageContaining(EquitablePolicy.ATTRIBUTE);
    assertThatThrownBy(
            () ->
                policy.checkParams(
                    Map.of(EquitablePolicy.ATTRIBUTE, "lang", EquitablePolicy.HORIZON, "0")))
        .hasMessageContaining(EquitablePolicy.HORIZON);
  }

  @Test
  void shouldHoldThePoolsMixWithoutEvaluationRounds() {
    // Given feedback that carries training losses, sw's far higher, but no evaluation round
    TrainerState state = trainer(Map.of());
    double sum = 0;
    for (int b = 0; b < 300; b++) {
      // When batches are planned and acknowledged
      Draw d = policy.draw(state, context(), BATCH, Seeds.mix(9, b));
      sum += swShare(d);
      // Then every batch holds sw's pool share, 4 of 40, give or take the rounding
      assertThat(swShare(d) * BATCH).isBetween(3.0, 5.0);
      policy.onFeedback(
          TrainerFeedback.newBuilder()
              .setTrainerId("t")
              .setBatchId("b")
              .setGroupLosses(Map.of("lang=en", 0.2, "lang=sw", 3.0))
              .build(),
          state,
          context());
    }
    // and on average exactly that share: nothing drifts
    assertThat(sum / 300).isCloseTo(0.1, within(0.002));
    assertThat(state.getPolicyState()).doesNotContainKey("ratio.sw");
  }

  @Test
  void shouldLiftAGroupWhoseValidationLossStaysHighWithinItsBoundsAndRateLimit() {
    // Given en learns fast to a low floor and sw slowly, its loss staying high
    Run run =
        run(
            Map.of(),
            120,
            4,
            n -> 0.2 + 1.0 * Math.pow(Math.max(n, 1), -0.5),
            n -> 0.6 + 2.0 * Math.pow(Math.max(n, 1), -0.3));

    // Then sw's share rises from its pool share, by at most 0.05 a round
    assertThat(run.batchShare()[0]).isCloseTo(0.1, within(0.03));
    double before = 0.1;
    for (double s : run.decided()) {
      assertThat(s - before).isLessThanOrEqualTo(0.05 + 1e-9);
      // and stays within its bounds around the pool's mix: at most 0.1 + 0.5
      assertThat(s).isBetween(0.1 * 0.5 - 1e-9, 0.6 + 1e-9);
      before = s;
    }
    double last = run.decided().get(run.decided().size() - 1);
    assertThat(last).isGreaterThan(0.35);
    // and every batch holds the share decided last, up to the rounding of one item
    for (int b = 1; b < 120; b++) {
      assertThat(run.batchShare()[b]).isCloseTo(run.current()[b - 1], within(1.0 / BATCH + 1e-9));
    }
  }

  @Test
  void shouldKeepEnWithinItsLowerBound() {
    // Given sw's loss far above en's and both still learning, with a wide rate limit
    Run run =
        run(
            Map.of(EquitablePolicy.MAX_SHARE_CHANGE, "1"),
            60,
            2,
            n -> 0.1 + 1.0 * Math.pow(Math.max(n, 1), -0.5),
            n -> 2.0 + 5.0 * Math.pow(Math.max(n, 1), -0.2));
    // Then en keeps at least half its pool share (0.45): sw never takes more than 0.55
    assertThat(run.decided()).isNotEmpty().allSatisfy(s -> assertThat(s).isLessThan(0.55 + 1e-9));
    assertThat(run.decided().get(run.decided().size() - 1)).isCloseTo(0.55, within(1e-6));
  }

  @Test
  void shouldNotPourDataIntoAGroupThatDoesNotLearn() {
    // Given sw's validation loss is high but flat (nothing more to learn), en's falling
    Run run = run(Map.of(), 80, 4, n -> 0.2 + 1.0 * Math.pow(Math.max(n, 1), -0.5), n -> 1.5);
    // Then sw stays at its pool share
    assertThat(run.decided())
        .isNotEmpty()
        .allSatisfy(s -> assertThat(s).isCloseTo(0.1, within(1e-9)));
  }

  @Test
  void shouldNotReadNoiseAsLearning() {
    for (long seed = 1; seed <= 5; seed++) {
      // Given sw's validation loss is flat but noisy (5 % scatter), en's falling
      Random noise = new Random(seed);
      Run run =
          run(
              Map.of(),
              160,
              5,
              n -> 0.3 + 2 * Math.pow(Math.max(n, 1), -0.4),
              n -> 1.5 * (1 + 0.05 * noise.nextGaussian()));
      // Then over 32 rounds sw keeps its pool share, give or take one step the noise may cause
      assertThat(run.decided())
          .as("seed %d", seed)
          .hasSize(32)
          .allSatisfy(s -> assertThat(s).isBetween(0.1 - 1e-9, 0.15 + 1e-9));
    }
  }

  @Test
  void shouldStillLiftANoisyGroupThatLearns() {
    // Given sw's validation loss falls towards a higher floor than en's, with 5 % scatter
    Random noise = new Random(1);
    Run run =
        run(
            Map.of(),
            160,
            5,
            n -> (0.3 + 2 * Math.pow(Math.max(n, 1), -0.4)) * (1 + 0.05 * noise.nextGaussian()),
            n -> (0.4 + 2 * Math.pow(Math.max(n, 1), -0.4)) * (1 + 0.05 * noise.nextGaussian()));
    // Then sw's share rises well above its pool share, and never falls back to it
    List<Double> decided = run.decided();
    assertThat(decided.get(decided.size() - 1)).isGreaterThanOrEqualTo(0.25);
    for (int i = 1; i < decided.size(); i++) {
      assertThat(decided.get(i)).isGreaterThanOrEqualTo(decided.get(i - 1) - 1e-9);
    }
  }

  @Test
  void shouldIgnoreAnEvaluationRoundItHasSeen() {
    // Given a trainer after two rounds
    Run run =
        run(
            Map.of(),
            8,
            4,
            n -> 0.2 + Math.pow(Math.max(n, 1), -0.5),
            n -> 0.6 + 2 * Math.pow(Math.max(n, 1), -0.3));
    TrainerState state = run.state();
    Map<String, Double> before = new HashMap<>(state.getPolicyState());

    // When round 1 arrives again (a restart replays it)
    policy.onFeedback(
        TrainerFeedback.newBuilder()
            .setTrainerId("t")
            .setBatchId("b")
            .setEvaluation(
                EvaluationRound.newBuilder()
                    .setRound(1)
                    .setGroupLosses(Map.of("lang=en", 9.0, "lang=sw", 9.0))
                    .setTrainedGroupCounts(Map.of("lang=en", 1000L, "lang=sw", 1000L))
                    .build())
            .build(),
        state,
        context());

    // Then nothing changes
    assertThat(state.getPolicyState()).isEqualTo(before);
  }

  @Test
  void shouldCountWhatItPlannedWhenTheTrainerReportsNoCounts() {
    // Given a trainer whose evaluation rounds carry losses but no trained counts
    TrainerState state = trainer(Map.of());
    for (int b = 0; b < 5; b++) {
      policy.draw(state, context(), BATCH, Seeds.mix(1, b));
    }
    // When it closes a round
    policy.onFeedback(
        TrainerFeedback.newBuilder()
            .setTrainerId("t")
            .setBatchId("b")
            .setEvaluation(
                EvaluationRound.newBuilder()
                    .setRound(0)
                    .setGroupLosses(Map.of("lang=en", 0.5, "lang=sw", 1.5))
                    .build())
            .build(),
        state,
        context());
    // Then the groups' counts are what was planned: 200 examples, about 20 of sw
    Map<String, Double> ps = state.getPolicyState();
    assertThat(ps.get("n.en") + ps.get("n.sw")).isEqualTo(200.0);
    assertThat(ps.get("n.sw")).isBetween(15.0, 25.0);
    assertThat(ps.get("perRound")).isEqualTo(200.0);
  }

  @Test
  void shouldBoundItsStateWhateverValuesTheTrainerReports() {
    // Given a trainer that reports counts and losses for 1,000 values of the attribute
    TrainerState state = trainer(Map.of());
    Map<String, Long> counts = new HashMap<>();
    Map<String, Double> losses = new HashMap<>();
    for (int v = 0; v < 1000; v++) {
      counts.put("lang=v" + v, 10L);
      losses.put("lang=v" + v, 1.0);
    }
    // When it closes ten rounds
    for (int r = 0; r < 10; r++) {
      policy.draw(state, context(), BATCH, r);
      policy.onFeedback(
          TrainerFeedback.newBuilder()
              .setTrainerId("t")
              .setBatchId("b")
              .setEvaluation(
                  EvaluationRound.newBuilder()
                      .setRound(r)
                      .setGroupLosses(losses)
                      .setTrainedGroupCounts(counts)
                      .build())
              .build(),
          state,
          context());
    }
    // Then the state tracks a bounded number of values
    long tracked = state.getPolicyState().keySet().stream().filter(k -> k.startsWith("n.")).count();
    long curves =
        state.getPolicyState().keySet().stream().filter(k -> k.startsWith("pts.")).count();
    assertThat(tracked).isLessThanOrEqualTo(2L * GroupSupply.MAX_VALUES);
    assertThat(curves).isLessThanOrEqualTo(GroupSupply.MAX_VALUES);
    assertThat(state.getPolicyState().size()).isLessThan(2000);
  }

  @Test
  void shouldLowerTheObjectiveUnderMeanUnfairness() {
    // Given two curves, one far worse, under mean + λ·unfairness
    EquitablePolicy.Settings s =
        EquitablePolicy.Settings.of(
            Map.of(EquitablePolicy.ATTRIBUTE, "g", EquitablePolicy.OBJECTIVE, "mean-unfairness"));
    LearningCurve[] curves = {new LearningCurve(0.5, 1, 0.1), new LearningCurve(0.3, 3, 0.3)};
    double[] n = {500, 50};
    double[] lo = {0.2, 0.1};
    double[] hi = {0.9, 0.8};
    // When the free share is water-filled
    double[] share = EquitablePolicy.greedy(s, curves, n, new double[] {1, 1}, 1000, lo, hi, 1.0);
    // Then it sums to 1 within the bounds, and beats the pool's 0.9/0.1 on the objective
    assertThat(share[0] + share[1]).isCloseTo(1.0, within(1e-9));
    assertThat(share[1]).isBetween(0.1, 0.8);
    double[] chosen = {curves[0].at(n[0] + share[0] * 1000), curves[1].at(n[1] + share[1] * 1000)};
    double[] pool = {curves[0].at(n[0] + 900), curves[1].at(n[1] + 100)};
    assertThat(EquitablePolicy.objective(s, chosen)).isLessThan(EquitablePolicy.objective(s, pool));
  }
}
