package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A trainer whose batch topic is not ready is not planned for; the others are. */
class PausedTrainerTopologyTest {

  private static final int DIMENSION = 8;

  @TempDir Path stateDir;

  private DriverHarness harness;

  @AfterEach
  void close() {
    harness.close();
  }

  @Test
  void shouldPlanOnlyForTrainersWhoseBatchTopicIsReady() {
    // Given a pool of 60 examples and two trainers, of which only "control" has its topic ready
    Set<String> ready = ConcurrentHashMap.newKeySet();
    ready.add("control");
    Map<String, Object> props = DriverHarness.props("sieve-paused", stateDir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, DIMENSION);
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 20);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 2);
    props.put(SieveConfig.DEDUP_NEAR_POLICY_CONFIG, "keep");
    harness = new DriverHarness(props, ready::contains);
    TestInputTopic<String, TrainingExample> examples = harness.input(harness.topics().examples());
    TestInputTopic<String, TrainerSpec> trainers = harness.input(harness.topics().trainers());
    TestOutputTopic<String, TrainingBatch> control = harness.batches("control");
    TestOutputTopic<String, TrainingBatch> paused = harness.batches("paused");
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 60; i++) {
      List<Float> embedding = new ArrayList<>();
      for (int j = 0; j < DIMENSION; j++) {
        embedding.add((float) random.nextDouble(-1, 1));
      }
      examples.pipeInput(
          "e" + i, TrainingExample.newBuilder().setId("e" + i).setEmbedding(embedding).build());
    }
    harness.settle();

    // When both declare themselves
    for (String id : List.of("control", "paused")) {
      trainers.pipeInput(
          id,
          TrainerSpec.newBuilder()
              .setTrainerId(id)
              .setPolicy("uniform")
              .setBatchSize(5)
              .setWindow(2)
              .build());
    }
    harness.settle();

    // Then the control trainer gets its window of batches and the paused one none
    assertThat(control.readValuesToList()).hasSize(2);
    assertThat(paused.isEmpty()).isTrue();

    // When the paused trainer's topic becomes ready
    ready.add("paused");
    harness.settle();

    // Then it is planned for from its first batch on
    List<TrainingBatch> resumed = paused.readValuesToList();
    assertThat(resumed).hasSize(2);
    assertThat(resumed.get(0).getSequence()).isZero();
  }
}
