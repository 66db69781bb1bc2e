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

  private static TrainerSpecs.Problem withRanks(int batchSize, int ranks) {
    TrainerSpec spec =
        TrainerSpec.newBuilder().setTrainerId("t1").setBatchSize(batchSize).setRanks(ranks).build();
    return TrainerSpecs.check("t1", spec, 16, 8 * 1024 * 1024);
  }

  @Test
  void shouldAcceptRanksThatDivideTheBatch() {
    assertThat(withRanks(8, 1)).isNull();
    assertThat(withRanks(8, 8)).isNull();
    assertThat(withRanks(512, TrainerSpecs.MAX_RANKS)).isNull();
    // a spec written before ranks existed decodes with one rank
    assertThat(TrainerSpec.newBuilder().setTrainerId("t1").build().getRanks()).isEqualTo(1);
  }

  @Test
  void shouldRejectRanksOutOfRangeOrNotDividingTheBatch() {
    assertThat(withRanks(8, 0).reason()).isEqualTo("invalid-ranks");
    assertThat(withRanks(8, -2).reason()).isEqualTo("invalid-ranks");
    assertThat(withRanks(1024, TrainerSpecs.MAX_RANKS + 1).reason()).isEqualTo("invalid-ranks");
    TrainerSpecs.Problem uneven = withRanks(10, 4);
    assertThat(uneven.reason()).isEqualTo("ranks-not-dividing-batch");
    assertThat(uneven.detail()).contains("batchSize 10").contains("ranks 4");
  }
}
