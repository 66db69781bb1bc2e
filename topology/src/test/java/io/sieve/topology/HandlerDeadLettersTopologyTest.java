package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.DeadLetter;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sieve's error handlers inside the topology: the dead letter a handler hands back is written by
 * Kafka Streams with the task's own producer (the handlers' own producer points at no broker here,
 * so a dead letter that took that path would never arrive), and the stream goes on.
 */
class HandlerDeadLettersTopologyTest {

  @TempDir Path stateDir;

  @Test
  void shouldWriteTheDeadLetterOfUndeserializableBytesThroughTheTaskAndGoOn() {
    Map<String, Object> props = DriverHarness.props("handlers-test", stateDir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, 4);
    try (DriverHarness harness = new DriverHarness(props, true)) {
      Topics topics = harness.topics();
      TestInputTopic<String, byte[]> raw =
          harness
              .driver()
              .createInputTopic(
                  topics.examples().name(), new StringSerializer(), new ByteArraySerializer());
      TestInputTopic<String, TrainingExample> examples = harness.input(topics.examples());
      TestOutputTopic<Bytes, DeadLetter> deadLetters = harness.output(topics.deadLetters());

      // Given bytes that are not Avro at offset 0, then a valid example at offset 1
      raw.pipeInput("poison", new byte[] {9, 9});
      examples.pipeInput(
          "ok",
          TrainingExample.newBuilder()
              .setId("ok")
              .setText("fine")
              .setEmbedding(List.of(1f, 0f, 0f, 0f))
              .build());
      // and one whose id is blank, which the validator itself refuses
      examples.pipeInput(
          "nameless",
          TrainingExample.newBuilder()
              .setId(" ")
              .setText("x")
              .setEmbedding(List.of(0f, 1f, 0f, 0f))
              .build());

      // Then the poison is a dead letter with its bytes, and the stream went on to the next ones
      List<KeyValue<Bytes, DeadLetter>> letters = deadLetters.readKeyValuesToList();
      assertThat(letters)
          .extracting(kv -> kv.value.getReason())
          .containsExactly("undeserializable", "missing-id");
      DeadLetter poison = letters.get(0).value;
      assertThat(poison.getStage()).isEqualTo("deserialize");
      assertThat(poison.getOffset()).isZero();
      assertThat(poison.getValue().array()).containsExactly(9, 9);
      assertThat(letters.get(0).key.get()).isEqualTo("poison".getBytes(StandardCharsets.UTF_8));
      assertThat(harness.metrics().deadLettersByReason())
          .containsEntry("undeserializable", 1L)
          .containsEntry("missing-id", 1L);
    }
  }
}
