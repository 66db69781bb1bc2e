package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.BatchExample;
import io.sieve.avro.DeadLetter;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainingBatch;
import io.sieve.policy.UcbPolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Feedback numbers out of range reach no policy; the batch is acknowledged all the same. */
class HostileFeedbackTopologyTest {

  @TempDir Path temp;

  @Test
  void shouldKeepAHugeFiniteLossOutOfUcbsStateAndDeadLetterIt() {
    try (PoliciesTopologyTest.Sieve sieve = new PoliciesTopologyTest.Sieve(temp)) {
      // Given a UCB trainer over three full clusters
      TestOutputTopic<Bytes, DeadLetter> deadLetters =
          sieve.harness.output(sieve.harness.topics().deadLetters());
      sieve.fill();
      sieve.spec(UcbPolicy.NAME, 12, Map.of());

      // When every fourth acknowledgement reports a loss of 1e308 for each cluster of its batch
      int[] round = {0};
      List<TrainingBatch> batches =
          sieve.run(
              12,
              b -> {
                double loss = round[0]++ % 4 == 3 ? 1e308 : 1.0;
                Map<String, Double> losses = new TreeMap<>();
                for (BatchExample e : b.getExamples()) {
                  losses.put(Integer.toString(e.getClusterId()), loss);
                }
                return TrainerFeedback.newBuilder().setClusterLosses(losses);
              });

      // Then every batch was acknowledged and the next one planned
      assertThat(batches).hasSize(12);
      assertThat(sieve.trainerState().getRound()).isEqualTo(12L);
      // and no value of the policy's state is infinite or NaN
      assertThat(sieve.trainerState().getPolicyState().values())
          .isNotEmpty()
          .allSatisfy(v -> assertThat(Double.isFinite(v)).as("finite policy state").isTrue());
      // and each refused report is a dead letter naming the value
      List<DeadLetter> letters = deadLetters.readValuesToList();
      assertThat(letters).hasSize(3);
      assertThat(letters)
          .allSatisfy(
              l -> {
                assertThat(l.getReason()).isEqualTo("loss-out-of-range");
                assertThat(l.getError()).contains("1.0E308").contains("feedback.max.abs.loss");
              });
    }
  }
}
