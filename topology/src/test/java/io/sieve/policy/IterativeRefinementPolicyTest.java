package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.TrainerState;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IterativeRefinementPolicyTest {

  private final IterativeRefinementPolicy policy = new IterativeRefinementPolicy();

  /** w ← w·softmax(S), normalised, by hand (no log space). */
  private static double[] handStep(double[] w, double[] s) {
    double z = 0;
    for (double v : s) {
      z += Math.exp(v);
    }
    double[] out = new double[w.length];
    double sum = 0;
    for (int i = 0; i < w.length; i++) {
      out[i] = w[i] * Math.exp(s[i]) / z;
      sum += out[i];
    }
    for (int i = 0; i < w.length; i++) {
      out[i] /= sum;
    }
    return out;
  }

  /** S_k: one round's losses on the rewards' robust [0, 1] scale. */
  private static double[] relative(double[] losses) {
    Map<Integer, Double> raw = new java.util.TreeMap<>();
    for (int i = 0; i < losses.length; i++) {
      raw.put(i, losses[i]);
    }
    return Rewards.scaled(raw).values().stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** The paper's update: no floor, each round's own reward (memory 1), no evidence threshold. */
  private static final Map<String, String> NO_FLOOR =
      PolicyTestData.perBatch(IterativeRefinementPolicy.PAPER);

  @Test
  void shouldConcentrateWeightAsTheMultiplicativeSoftmaxUpdateSaysOverThreeRounds() {
    // Given three clusters, no floor, and three rounds of cluster losses
    TrainerState state = PolicyTestData.state(IterativeRefinementPolicy.NAME, NO_FLOOR);
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    double[][] rounds = {{2.0, 0.5, 1.0}, {1.5, 0.2, 1.1}, {3.0, 0.1, 0.4}};
    double[] expected = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    for (double[] s : rounds) {
      // When the policy absorbs the round
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, s[0], 1, s[1], 2, s[2])), state, context);
      expected = handStep(expected, relative(s));
    }
    // Then its weights equal the hand computation w ∝ w·softmax(S) from w⁰ = 1/3, S relative
    double[] w = IterativeRefinementPolicy.weights(state, new int[] {0, 1, 2}, context.poolSizes());
    assertThat(w[0]).isCloseTo(expected[0], within(1e-12));
    assertThat(w[1]).isCloseTo(expected[1], within(1e-12));
    assertThat(w[2]).isCloseTo(expected[2], within(1e-12));
    assertThat(expected[0]).isGreaterThan(0.6);
  }

  @Test
  void shouldGiveTheSameWeightsWhateverTheUnitsOfTheLoss() {
    // Given two trainers whose losses differ by a factor of 10
    TrainerState small = PolicyTestData.state(IterativeRefinementPolicy.NAME, Map.of());
    TrainerState large = PolicyTestData.state(IterativeRefinementPolicy.NAME, Map.of());
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    // When both absorb the same rounds
    for (int r = 0; r < 5; r++) {
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, 2.0, 1, 0.5, 2, 1.0 + r)), small, context);
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, 20.0, 1, 5.0, 2, 10.0 + 10 * r)), large, context);
    }
    // Then their weights agree
    int[] ids = {0, 1, 2};
    double[] a = IterativeRefinementPolicy.weights(small, ids, context.poolSizes());
    double[] b = IterativeRefinementPolicy.weights(large, ids, context.poolSizes());
    for (int i = 0; i < 3; i++) {
      assertThat(a[i]).isCloseTo(b[i], within(1e-12));
    }
  }

  @Test
  void shouldKeepEveryWeightAboveTheFloorWhenOneClusterAlwaysHasTheHighestLoss() {
    // Given four clusters and a floor ε = 0.4
    TrainerState state =
        PolicyTestData.state(
            IterativeRefinementPolicy.NAME,
            PolicyTestData.perBatch(Map.of(IterativeRefinementPolicy.FLOOR, "0.4")));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(500, 500, 500, 500));
    // When cluster 0 reports a loss ten times the others' for 300 rounds
    for (int r = 0; r < 300; r++) {
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, 5.0, 1, 0.5, 2, 0.5, 3, 0.5)), state, context);
    }
    // Then no weight falls below ε/K = 0.1, and cluster 0 holds at most 1 − ε + ε/K = 0.7 (its
    // reward, 1 against 0.5, moves it by e^0.5 a round, which the floor balances well below that)
    double[] w =
        IterativeRefinementPolicy.weights(state, new int[] {0, 1, 2, 3}, context.poolSizes());
    for (int i = 1; i < 4; i++) {
      assertThat(w[i]).isGreaterThanOrEqualTo(0.1 - 1e-12);
    }
    assertThat(w[0]).isBetween(0.3, 0.7);
    // and the batches give the others their weights' share of the budget, not nothing
    double others = 1 - PolicyTestData.share(policy, state, context.poolSizes(), 50, 40, 0);
    assertThat(others).isCloseTo(1 - w[0], within(0.05));
  }

  @Test
  void shouldMoveWeightToAClusterWhoseLossRisesLaterOnlyWithAFloor() {
    // Given one trainer with the default floor and one without
    TrainerState floored =
        PolicyTestData.state(IterativeRefinementPolicy.NAME, PolicyTestData.perBatch(Map.of()));
    TrainerState bare = PolicyTestData.state(IterativeRefinementPolicy.NAME, NO_FLOOR);
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    // When cluster 0 has the highest loss for 100 rounds, then cluster 1 for 10 rounds
    for (int r = 0; r < 110; r++) {
      Map<Integer, Double> losses =
          r < 100 ? Map.of(0, 3.0, 1, 1.0, 2, 1.0) : Map.of(0, 1.0, 1, 3.0, 2, 1.0);
      policy.onFeedback(PolicyTestData.clusterLosses(losses), floored, context);
      policy.onFeedback(PolicyTestData.clusterLosses(losses), bare, context);
    }
    // Then with the floor cluster 1 now has the largest weight; without it cluster 0 still does
    int[] ids = {0, 1, 2};
    double[] f = IterativeRefinementPolicy.weights(floored, ids, context.poolSizes());
    double[] b = IterativeRefinementPolicy.weights(bare, ids, context.poolSizes());
    assertThat(f[1]).isGreaterThan(f[0]);
    assertThat(b[0]).isGreaterThan(0.99);
  }

  @Test
  void shouldRejectAFloorOutsideZeroToOne() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> policy.checkParams(Map.of(IterativeRefinementPolicy.FLOOR, "1.5")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(IterativeRefinementPolicy.FLOOR);
  }

  @Test
  void shouldCarryTheLastScoreOfAClusterMissingFromTheFeedback() {
    // Given a first round with all three clusters, then a round that names only cluster 0
    TrainerState state = PolicyTestData.state(IterativeRefinementPolicy.NAME, NO_FLOOR);
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    policy.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 1.0, 1, 2.0, 2, 0.0)), state, context);
    policy.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 0.5)), state, context);
    // Then the second round used S = (0.5, S_1, S_2): cluster 0's own reward (alone in its round,
    // 0.5), cluster 1 and 2 their last scores
    double[] first = relative(new double[] {1, 2, 0});
    double[] expected =
        handStep(
            handStep(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0}, first),
            new double[] {0.5, first[1], first[2]});
    double[] w = IterativeRefinementPolicy.weights(state, new int[] {0, 1, 2}, context.poolSizes());
    assertThat(w[1]).isCloseTo(expected[1], within(1e-12));
    assertThat(w[0]).isCloseTo(expected[0], within(1e-12));
  }

  @Test
  void shouldDrawCountsThatFollowTheWeightsAndNeverExceedAPool() {
    // Given weights concentrated on cluster 0 (no floor), whose pool holds only 4 items
    TrainerState state = PolicyTestData.state(IterativeRefinementPolicy.NAME, NO_FLOOR);
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(4, 100, 100));
    for (int r = 0; r < 5; r++) {
      policy.onFeedback(
          PolicyTestData.clusterLosses(Map.of(0, 5.0, 1, 0.0, 2, 0.0)), state, context);
    }
    // When it draws a batch of 10
    Draw d = policy.draw(state, context, 10, Seeds.mix(1, 2));
    // Then cluster 0 gives all it has and the batch keeps its size
    assertThat(d.perCluster().get(0)).isEqualTo(4);
    assertThat(d.total()).isEqualTo(10);
  }

  @Test
  void shouldMixTowardThePoolsOwnClusterShares() {
    // Given pools of 100 and 300 and a floor of 1 (the mix only)
    TrainerState state =
        PolicyTestData.state(
            IterativeRefinementPolicy.NAME,
            PolicyTestData.perBatch(Map.of(IterativeRefinementPolicy.FLOOR, "1")));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 300));
    // When one feedback arrives, whatever its losses
    policy.onFeedback(PolicyTestData.clusterLosses(Map.of(0, 5.0, 1, 0.1)), state, context);
    // Then the weights are the pool's shares, as uniform sampling would give
    double[] w = IterativeRefinementPolicy.weights(state, new int[] {0, 1}, context.poolSizes());
    assertThat(w[0]).isCloseTo(0.25, within(1e-12));
    assertThat(w[1]).isCloseTo(0.75, within(1e-12));
  }

  @Test
  void shouldMoveWeightAwayFromAClusterWhoseValidationLossDoesNotFall() {
    // Given three equal clusters, no floor, and a trainer that evaluates every 5 batches: the
    // validation loss of clusters 0 and 1 falls, cluster 2's stays where it is (noise)
    TrainerState state =
        PolicyTestData.state(
            IterativeRefinementPolicy.NAME, Map.of(IterativeRefinementPolicy.FLOOR, "0"));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    double[] validation = {2.0, 2.0, 2.0};
    for (int round = 0; round < 8; round++) {
      // When four batches of raw losses (highest on cluster 2) and then an evaluation arrive
      for (int b = 0; b < 4; b++) {
        policy.onFeedback(
            PolicyTestData.clusterLosses(Map.of(0, 0.5, 1, 0.6, 2, 3.0)), state, context);
      }
      policy.onFeedback(
          PolicyTestData.evaluation(
              round,
              Map.of(0, validation[0], 1, validation[1], 2, validation[2]),
              Map.of(0, 20L, 1, 20L, 2, 20L)),
          state,
          context);
      validation[0] *= 0.9;
      validation[1] *= 0.95;
    }
    // Then cluster 2, the one a loss-seeking policy would chase, lost weight, and cluster 0 gained
    double[] w = IterativeRefinementPolicy.weights(state, new int[] {0, 1, 2}, context.poolSizes());
    assertThat(w[2]).isLessThan(0.15);
    assertThat(w[0]).isGreaterThan(w[1]).isGreaterThan(w[2]);
  }

  @Test
  void shouldMoveAwayFromAnUnlearnableClusterWhenScoredByLearnabilityButTowardsItByLoss() {
    // Given cluster 2 behaves like mislabelled data: its loss is the highest, but a step on it
    // barely lowers it (learnability near 0), while clusters 0 and 1 are still being learnt
    Map<String, String> byLearnability =
        PolicyTestData.perBatch(Map.of(Rewards.REWARD, "learnability"));
    TrainerState learn = PolicyTestData.state(IterativeRefinementPolicy.NAME, byLearnability);
    TrainerState loss =
        PolicyTestData.state(IterativeRefinementPolicy.NAME, PolicyTestData.perBatch(Map.of()));
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 100, 100));
    for (int r = 0; r < 6; r++) {
      io.sieve.avro.TrainerFeedback feedback =
          io.sieve.avro.TrainerFeedback.newBuilder(
                  PolicyTestData.clusterLosses(Map.of(0, 0.8, 1, 0.9, 2, 2.5)))
              .build();
      // When both absorb the same rounds, one pinned to learnability
      policy.onFeedback(
          io.sieve.avro.TrainerFeedback.newBuilder(feedback)
              .setClusterLearnability(PolicyTestData.keyed(Map.of(0, 0.20, 1, 0.15, 2, 0.01)))
              .build(),
          learn,
          context);
      policy.onFeedback(feedback, loss, context);
    }
    // Then the learnability-scored trainer gives cluster 2 less than a third, bounded below by
    // the floor ε·π = 0.5·1/3
    int[] ids = {0, 1, 2};
    double[] wl = IterativeRefinementPolicy.weights(learn, ids, context.poolSizes());
    assertThat(wl[2]).isLessThan(1.0 / 3).isGreaterThanOrEqualTo(0.5 / 3 - 1e-12);
    // and the loss-scored one gives it more than a third
    double[] wr = IterativeRefinementPolicy.weights(loss, ids, context.poolSizes());
    assertThat(wr[2]).isGreaterThan(1.0 / 3);
  }

  /** Weight over share, per cluster, after {@code rounds} rounds of one seed's rewards. */
  private double[] ratiosAfter(
      Map<String, String> params, int clusters, int rounds, long seed, int standOut, double lift) {
    Map<String, String> all = new java.util.TreeMap<>(params);
    all.put(Rewards.REWARD, "learnability");
    TrainerState state =
        PolicyTestData.state(IterativeRefinementPolicy.NAME, PolicyTestData.perBatch(all));
    long[] sizes = new long[clusters];
    java.util.Arrays.fill(sizes, 100);
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(sizes));
    java.util.Random rng = new java.util.Random(seed);
    for (int r = 0; r < rounds; r++) {
      Map<Integer, Double> learnability = new java.util.TreeMap<>();
      for (int k = 0; k < clusters; k++) {
        learnability.put(k, 0.1 + 0.02 * rng.nextGaussian() + (k == standOut ? lift : 0));
      }
      policy.onFeedback(PolicyTestData.clusterLearnability(learnability), state, context);
    }
    int[] ids = java.util.stream.IntStream.range(0, clusters).toArray();
    double[] w = IterativeRefinementPolicy.weights(state, ids, context.poolSizes());
    for (int k = 0; k < clusters; k++) {
      w[k] *= clusters;
    }
    return w;
  }

  private static double maxDeviation(double[] ratios) {
    return java.util.Arrays.stream(ratios).map(x -> Math.abs(x - 1)).max().orElse(0);
  }

  @Test
  void shouldStayNearThePoolsMixWhenTheRewardsAreNoiseButDriftWithoutTheEvidenceThreshold() {
    // Given 40 clusters whose learnability is the same up to noise (a clean stream), 60 rounds
    Map<String, String> paper =
        Map.of(IterativeRefinementPolicy.MEMORY, "1", IterativeRefinementPolicy.EVIDENCE, "0");
    for (long seed = 1; seed <= 3; seed++) {
      // When the default policy and the paper's per-round update absorb the same rounds
      double[] byEvidence = ratiosAfter(Map.of(), 40, 60, seed, -1, 0);
      double[] byRound = ratiosAfter(paper, 40, 60, seed, -1, 0);
      // Then the default keeps every cluster within 5 % of its share of the pool, while the
      // per-round update has moved some cluster by more than a quarter of its share
      assertThat(maxDeviation(byEvidence)).isLessThan(0.05);
      assertThat(maxDeviation(byRound)).isGreaterThan(0.25);
    }
  }

  @Test
  void shouldGiveWeightToOneClusterThatKeepsStandingOutAmongManyWithinAFewRounds() {
    // Given 40 clusters of noisy learnability, one of which is learnt twice as fast
    for (long seed = 1; seed <= 3; seed++) {
      // When 6 rounds have been absorbed
      double[] ratios = ratiosAfter(Map.of(), 40, 6, seed, 7, 0.1);
      // Then that cluster has more than 1.25× its share of the pool (the floor halves any move),
      // and no other has gained as much
      assertThat(ratios[7]).isGreaterThan(1.25);
      for (int k = 0; k < 40; k++) {
        if (k != 7) {
          assertThat(ratios[k]).isLessThan(ratios[7]);
        }
      }
    }
  }

  @Test
  void shouldRejectAMemoryBelowOneRound() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> policy.checkParams(Map.of(IterativeRefinementPolicy.MEMORY, "0.5")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(IterativeRefinementPolicy.MEMORY);
  }

  @Test
  void shouldStartFromThePoolsMixByDefaultAndFromEqualWeightsWhenAskedAsThePaperDoes() {
    // Given pools of 100 and 300 and no feedback yet
    PlanContext context = PlanContext.ofSizes(PolicyTestData.sizes(100, 300));
    TrainerState pool = PolicyTestData.state(IterativeRefinementPolicy.NAME, Map.of());
    TrainerState equal =
        PolicyTestData.state(
            IterativeRefinementPolicy.NAME, Map.of(IterativeRefinementPolicy.START, "equal"));
    int[] ids = {0, 1};
    // Then the default starts as uniform sampling would (¼, ¾), the paper's start half and half
    assertThat(IterativeRefinementPolicy.weights(pool, ids, context.poolSizes())[0])
        .isCloseTo(0.25, within(1e-12));
    assertThat(IterativeRefinementPolicy.weights(equal, ids, context.poolSizes())[0])
        .isCloseTo(0.5, within(1e-12));
    // and batches draw from them with the exploration share η = 0.1 spread equally: 0.9·¼ + 0.1·½
    assertThat(IterativeRefinementPolicy.drawn(pool, ids, context.poolSizes())[0])
        .isCloseTo(0.275, within(1e-12));
    assertThat(PolicyTestData.share(policy, pool, context.poolSizes(), 40, 50, 0))
        .isCloseTo(0.275, within(0.03));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> policy.checkParams(Map.of(IterativeRefinementPolicy.START, "natural")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(IterativeRefinementPolicy.START);
  }
}
