package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.plan.PlannerProcessor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** However large a window, one record or punctuation plans a bounded number of batches. */
class BoundedPlanningTopologyTest {

  private static final int DIMENSION = 8;

  @TempDir Path stateDir;

  private DriverHarness harness;

  @AfterEach
  void close() {
    harness.close();
  }

  @Test
  void shouldPlanALargeWindowOverSeveralPunctuations() {
    // Given a pool of 40 examples
    Map<String, Object> props = DriverHarness.props("sieve-bounded", stateDir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 20);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 2);
    props.put(SieveConfig.DEDUP_NEAR_POLICY_CONFIG, "keep");
    harness = new DriverHarness(props);
    SplittableRandom random = new SplittableRandom(9);
    for (int i = 0; i < 40; i++) {
      List<Float> embedding = new ArrayList<>();
      for (int j = 0; j < DIMENSION; j++) {
        embedding.add((float) random.nextDouble(-1, 1));
      }
      harness
          .input(harness.topics().examples())
          .pipeInput(
              "e" + i, TrainingExample.newBuilder().setId("e" + i).setEmbedding(embedding).build());
    }
    harness.settle();
    TestOutputTopic<String, TrainingBatch> batches = harness.batches("wide");

    // When a trainer with a window of 50 batches of 2 declares itself
    harness
        .input(harness.topics().trainers())
        .pipeInput(
            "wide",
            TrainerSpec.newBuilder()
                .setTrainerId("wide")
                .setPolicy("uniform")
                .setBatchSize(2)
                .setWindow(50)
                .build());

    // Then the spec record plans only its share, and the punctuations after it the rest
    assertThat(batches.readValuesToList()).hasSize(PlannerProcessor.MAX_BATCHES_PER_CALL);
    harness.settle();
    List<TrainingBatch> rest = batches.readValuesToList();
    assertThat(rest).hasSize(50 - PlannerProcessor.MAX_BATCHES_PER_CALL);
    assertThat(rest.get(rest.size() - 1).getSequence()).isEqualTo(49L);
  }
}
