package io.sieve.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.EvaluationRound;
import io.sieve.avro.TrainerFeedback;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeedbackRangesTest {

  @Test
  void shouldLeaveOutValuesBeyondTheRangeAndNameThem() {
    // Given feedback with one huge but finite loss, one NaN and sane values
    TrainerFeedback feedback =
        TrainerFeedback.newBuilder()
            .setTrainerId("t1")
            .setBatchId("t1-0")
            .setClusterLosses(Map.of("0", 1e308, "1", 0.5))
            .setExampleLosses(Map.of("e1", Double.NaN, "e2", 2.0))
            .setEvaluation(
                EvaluationRound.newBuilder()
                    .setRound(1)
                    .setValidationLoss(-2e6)
                    .setGroupLosses(Map.of("lang=en", 0.3))
                    .build())
            .build();

    // When it is checked against ±1e6
    FeedbackRanges.Checked checked = FeedbackRanges.check(feedback, 1e6);

    // Then only the out-of-range values are gone, each named
    assertThat(checked.feedback().getClusterLosses()).containsExactly(Map.entry("1", 0.5));
    assertThat(checked.feedback().getExampleLosses()).containsExactly(Map.entry("e2", 2.0));
    assertThat(checked.feedback().getEvaluation().getValidationLoss()).isNull();
    assertThat(checked.feedback().getEvaluation().getGroupLosses())
        .containsExactly(Map.entry("lang=en", 0.3));
    assertThat(checked.refused())
        .containsExactlyInAnyOrder(
            "clusterLosses[0]=1.0E308",
            "exampleLosses[e1]=NaN",
            "evaluation.validationLoss=-2000000.0");
    assertThat(checked.describe(1e6)).startsWith("3 value(s)");
  }

  @Test
  void shouldReturnSaneFeedbackAsItIs() {
    TrainerFeedback feedback =
        TrainerFeedback.newBuilder()
            .setTrainerId("t1")
            .setBatchId("t1-0")
            .setClusterLosses(Map.of("0", 1e6, "1", -1e6))
            .build();

    FeedbackRanges.Checked checked = FeedbackRanges.check(feedback, 1e6);

    assertThat(checked.feedback()).isSameAs(feedback);
    assertThat(checked.refused()).isEmpty();
  }
}
