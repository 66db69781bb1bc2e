package io.sieve.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainerSpec;
import io.sieve.policy.Policies;
import org.junit.jupiter.api.Test;

class StageDepthTest {

  private static TrainerSpec spec(String policy, int window) {
    return TrainerSpec.newBuilder()
        .setTrainerId("t")
        .setPolicy(policy)
        .setBatchSize(8)
        .setWindow(window)
        .build();
  }

  @Test
  void shouldStageTheWindowForAPolicyFeedbackSteersAndTwiceItForTheOthers() {
    // Given the default setting (-1)
    // Then a feedback policy stages its window, so that feedback steers no later than it did
    for (String steered :
        new String[] {"ucb", "exp3", "iterative-refinement", "coverage", "equitable"}) {
      assertThat(Policies.byName(steered).steeredByFeedback()).as(steered).isTrue();
      assertThat(PlannerProcessor.stage(spec(steered, 3), -1)).as(steered).isEqualTo(3);
    }
    assertThat(PlannerProcessor.stage(spec("group-refinement", 2), -1)).isEqualTo(2);

    // and a policy feedback does not shape stages twice its window
    for (String plain : new String[] {"uniform", "stratified", "cluster-balanced"}) {
      assertThat(Policies.byName(plain).steeredByFeedback()).as(plain).isFalse();
      assertThat(PlannerProcessor.stage(spec(plain, 3), -1)).as(plain).isEqualTo(6);
    }
  }

  @Test
  void shouldTakeAConfiguredStageAsItIs() {
    assertThat(PlannerProcessor.stage(spec("uniform", 3), 0)).isZero();
    assertThat(PlannerProcessor.stage(spec("ucb", 3), 5)).isEqualTo(5);
  }
}
