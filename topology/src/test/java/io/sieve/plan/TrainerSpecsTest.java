package io.sieve.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainerSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainerSpecsTest {

  private static TrainerSpecs.Problem check(String policy, Map<String, String> params) {
    TrainerSpec spec =
        TrainerSpec.newBuilder()
            .setTrainerId("t1")
            .setPolicy(policy)
            .setBatchSize(8)
            .setWindow(2)
            .setParams(params)
            .build();
    return TrainerSpecs.check("t1", spec, 16, 8 * 1024 * 1024);
  }

  @Test
  void shouldRejectAMisspelledParameterListingTheKnownOnes() {
    // When a UCB spec misspells ucb.alpha
    TrainerSpecs.Problem problem = check("ucb", Map.of("ucb.alpah", "0.5"));

    // Then it is refused, naming the typo and the parameters UCB knows
    assertThat(problem).isNotNull();
    assertThat(problem.reason()).isEqualTo("unknown-params");
    assertThat(problem.detail()).contains("[ucb.alpah]").contains("ucb.alpha").contains("known");
  }

  @Test
  void shouldAcceptEachPolicysOwnParameters() {
    assertThat(check("ucb", Map.of("ucb.alpha", "0.5"))).isNull();
    assertThat(check("uniform", Map.of("group.targets", "lang=en:0.5"))).isNull();
    assertThat(check("equitable", Map.of("equitable.attribute", "lang"))).isNull();
    assertThat(check("uniform", Map.of())).isNull();
  }

  @Test
  void shouldRejectAnotherPolicysParameter() {
    TrainerSpecs.Problem problem = check("uniform", Map.of("ucb.alpha", "0.5"));

    assertThat(problem.reason()).isEqualTo("unknown-params");
    assertThat(problem.detail()).contains("ucb.alpha").contains("group.targets");
  }

  @Test
  void shouldStillNameAMalformedKnownParameter() {
    TrainerSpecs.Problem problem = check("ucb", Map.of("ucb.alpha", "lots"));

    assertThat(problem.reason()).isEqualTo("invalid-params");
    assertThat(problem.detail()).contains("ucb.alpha");
  }
}
