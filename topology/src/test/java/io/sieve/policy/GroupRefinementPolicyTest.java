package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sieve.avro.EvaluationRound;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerState;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class GroupRefinementPolicyTest {

  private static final int BATCH = 64;

  private final GroupRefinementPolicy policy = new GroupRefinementPolicy();

  /** A pool of 2,000 over two clusters: sources a (50 %), b (30 %), c (10 %), d (10 %). */
  private static PlanContext context() {
    return new PlanContext(
        PolicyTestData.sizes(1000, 1000),
        Map.of(
            0, Map.of("source=a", 600L, "source=b", 200L, "source=c", 100L, "source=d", 100L),
            1, Map.of("source=a", 400L, "source=b", 400L, "source=c", 100L, "source=d", 100L)),
        null);
  }

  private static TrainerState trainer(Map<String, String> params) {
    Map<String, String> all = new HashMap<>(params);
    all.put(GroupRefinementPolicy.ATTRIBUTE, "source");
    all.put(Rewards.ROUND_BATCHES, "1");
    return PolicyTestData.state(GroupRefinementPolicy.NAME, all);
  }

  private static TrainerFeedback learnability(Map<String, Double> perSource) {
    Map<String, Double> keyed = new TreeMap<>();
    perSource.forEach((v, x) -> keyed.put("source=" + v, x));
    return TrainerFeedback.newBuilder()
        .setTrainerId("t")
        .setBatchId("b")
        .setGroupLearnability(keyed)
        .build();
  }

  /** Source {@code v}'s mean share over twenty batches. */
  private double share(TrainerState state, String v) {
    double sum = 0;
    for (int b = 0; b < 20; b++) {
      sum +=
          policy.draw(state, context(), BATCH, Seeds.mix(31, b)).groupShares().get("source=" + v);
    }
    return sum / 20;
  }

  /** Rounds of learnability: every source around 0.06, source d around {@code d}, noise 0.02. */
  private TrainerState rounds(int n, double d, long seed) {
    TrainerState state = trainer(Map.of());
    rounds(state, n, "d", d, seed);
    return state;
  }

  /** Rounds of learnability: every source around 0.06 but {@code odd} around {@code x}. */
  private void rounds(TrainerState state, int n, String odd, double x, long seed) {
    Random noise = new Random(seed);
    for (int r = 0; r < n; r++) {
      Map<String, Double> l = new TreeMap<>();
      for (String v : new String[] {"a", "b", "c", "d"}) {
        l.put(v, (v.equals(odd) ? x : 0.06) + 0.02 * noise.nextGaussian());
      }
      policy.onFeedback(learnability(l), state, context());
    }
  }

  @Test
  void shouldFollowThePoolMixBeforeAnyRound() {
    TrainerState state = trainer(Map.of());
    assertThat(share(state, "a")).isCloseTo(0.5, within(0.01));
    assertThat(share(state, "d")).isCloseTo(0.1, within(0.01));
  }

  @Test
  void shouldDrawLessOfASourceTheModelKeepsLearningLessFrom() {
    // When source d's learnability stays at 0.02 against the others' 0.06, for twenty rounds
    TrainerState state = rounds(20, 0.02, 4);
    // Then d falls far below its pool share of 0.10, towards the exploration share η·0.10,
    // and the others take what it gave up (between them, as their own noise has it)
    assertThat(share(state, "d")).isLessThan(0.03).isGreaterThanOrEqualTo(0.009);
    assertThat(share(state, "a")).isGreaterThan(0.7 * 0.5);
    assertThat(share(state, "b")).isGreaterThan(0.7 * 0.3);
    assertThat(share(state, "c")).isGreaterThan(0.7 * 0.1);
  }

  @Test
  void shouldStayAtThePoolMixWhenNoSourceStandsOutOfTheNoise() {
    // When every source's learnability is the same but for noise, for forty rounds
    TrainerState state = rounds(40, 0.06, 5);
    // Then the shares stay at the pool's mix
    assertThat(share(state, "a")).isCloseTo(0.5, within(0.03));
    assertThat(share(state, "c")).isCloseTo(0.1, within(0.02));
    assertThat(share(state, "d")).isCloseTo(0.1, within(0.02));
  }

  @Test
  void shouldCloseARoundOnTheTrainersEvaluation() {
    // Given rounds of ten batches, and one batch's learnability
    Map<String, String> params = new HashMap<>();
    params.put(GroupRefinementPolicy.ATTRIBUTE, "source");
    TrainerState state = PolicyTestData.state(GroupRefinementPolicy.NAME, params);
    TrainerFeedback fb = learnability(Map.of("a", 0.1, "b", 0.0, "c", 0.05, "d", 0.05));
    policy.onFeedback(fb, state, context());
    assertThat(state.getPolicyState()).containsKey("gl.batches").doesNotContainKey("rho.a");
    // When the next feedback closes the trainer's evaluation round
    TrainerFeedback closing =
        TrainerFeedback.newBuilder(fb)
            .setEvaluation(EvaluationRound.newBuilder().setRound(1).build())
            .build();
    policy.onFeedback(closing, state, context());
    // Then the round is closed and its sums are gone
    assertThat(state.getPolicyState()).containsKey("rho.a").doesNotContainKey("gl.batches");
  }

  @Test
  void shouldKeepNoStateForValuesThePoolDoesNotHold() {
    TrainerState state = trainer(Map.of());
    Map<String, Double> l = new TreeMap<>();
    for (int i = 0; i < 100; i++) {
      l.put("made-up-" + i, 1.0);
    }
    l.put("a", 0.1);
    policy.onFeedback(learnability(l), state, context());
    assertThat(state.getPolicyState().keySet()).noneMatch(k -> k.contains("made-up"));
  }

  @Test
  void shouldRequireTheAttributeAndRefuseGroupTargets() {
    assertThatThrownBy(() -> policy.checkParams(Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(GroupRefinementPolicy.ATTRIBUTE);
    assertRefused(GroupQuotas.TARGETS, "source=a:0.5");
    assertThat(
            Params.unknown(
                    Map.of(GroupRefinementPolicy.ATTRIBUTE, "source", "refinement.begin", "equal"),
                    () -> policy.checkParams(Map.of(GroupRefinementPolicy.ATTRIBUTE, "source")))
                .unknown())
        .containsExactly("refinement.begin");
    assertRefused(IterativeRefinementPolicy.START, "flat");
  }

  /** A spec over {@code source} with {@code key=value} is refused, naming the key. */
  private void assertRefused(String key, String value) {
    assertThatThrownBy(
            () -> policy.checkParams(Map.of(GroupRefinementPolicy.ATTRIBUTE, "source", key, value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(key);
  }

  @Test
  void shouldStartLevelAcrossValuesGivenTheEqualStart() {
    // Given the paper's start, equal over the four sources whose pool shares are 50/30/10/10 %
    TrainerState equal = trainer(Map.of(IterativeRefinementPolicy.START, "equal"));
    // Then before any round every source gets a quarter of the batch
    for (String v : new String[] {"a", "b", "c", "d"}) {
      assertThat(share(equal, v)).as(v).isCloseTo(0.25, within(0.01));
    }
  }

  @Test
  void shouldPushDownFromTheEqualStartAndExploreAtTheEqualShare() {
    // Given the equal start, when d's learnability stays below the others' for twenty rounds
    TrainerState state = trainer(Map.of(IterativeRefinementPolicy.START, "equal"));
    rounds(state, 20, "d", 0.02, 4);
    // Then d falls from its quarter towards the exploration share η/K = 0.025, not η·π_d = 0.01,
    // and c, a tenth of the pool, keeps at least twice its pool share (a, b and c level but for
    // their noise)
    assertThat(share(state, "d")).isLessThan(0.08).isGreaterThanOrEqualTo(0.024);
    assertThat(share(state, "c")).isGreaterThan(0.2);
  }

  /** A hundred rounds in which c's learnability stays above the others' (a lasting edge). */
  private void edge(TrainerState state) {
    rounds(state, 100, "c", 0.12, 6);
  }

  @Test
  void shouldNotRunAwayWithAValueThatKeepsAnEdgeGivenAFloor() {
    // Given a floor ε = 0.5, and the paper's update without one
    TrainerState floored = trainer(Map.of(IterativeRefinementPolicy.FLOOR, "0.5"));
    TrainerState unbounded = trainer(Map.of());
    // When source c's learnability stays above the others' for a hundred rounds (a real but
    // lasting difference, as between parts of speech on a clean stream)
    edge(floored);
    edge(unbounded);
    // Then with the floor c gains share but settles where its edge and the floor's pull balance,
    // far from the nearly whole batch that compounding alone gives it
    assertThat(share(floored, "c")).isGreaterThan(0.12).isLessThan(0.3);
    assertThat(share(unbounded, "c")).isGreaterThan(0.6);
  }
}
