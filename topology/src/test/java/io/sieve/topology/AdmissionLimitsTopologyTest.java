package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.DeadLetter;
import io.sieve.avro.TrainingExample;
import io.sieve.config.SieveConfig;
import io.sieve.validate.ValidateProcessor;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admission limits of {@code example.max.*}, enforced at validation with dead letters. */
class AdmissionLimitsTopologyTest {

  @TempDir Path stateDir;

  private DriverHarness harness;
  private TestInputTopic<String, TrainingExample> examples;
  private TestOutputTopic<Bytes, DeadLetter> deadLetters;

  private void start(Map<String, Object> overrides) {
    Map<String, Object> props = DriverHarness.props("sieve-limits", stateDir);
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, 8);
    props.putAll(overrides);
    harness = new DriverHarness(props);
    examples = harness.input(harness.topics().examples());
    deadLetters = harness.output(harness.topics().deadLetters());
  }

  @AfterEach
  void close() {
    if (harness != null) {
      harness.close();
    }
  }

  private static TrainingExample.Builder example(String id) {
    return TrainingExample.newBuilder().setId(id).setText("some words to embed");
  }

  private List<DeadLetter> letters() {
    return deadLetters.readKeyValuesToList().stream()
        .map((KeyValue<Bytes, DeadLetter> kv) -> kv.value)
        .toList();
  }

  @Test
  void shouldDeadLetterEachExampleOverALimitWithItsReason() {
    // Given tight limits
    start(
        Map.of(
            SieveConfig.EXAMPLE_MAX_ID_LENGTH_CONFIG, 8,
            SieveConfig.EXAMPLE_MAX_TEXT_BYTES_CONFIG, 40,
            SieveConfig.EXAMPLE_MAX_GROUPS_CONFIG, 2,
            SieveConfig.EXAMPLE_MAX_GROUP_KEY_LENGTH_CONFIG, 4,
            SieveConfig.EXAMPLE_MAX_GROUP_VALUE_LENGTH_CONFIG, 5));

    // When one example breaks each, and one keeps to all of them exactly
    examples.pipeInput("k1", example("id-is-too-long").build());
    // 14 three-byte characters: 14 characters, 42 bytes
    examples.pipeInput("k2", example("e2").setText("€".repeat(14)).build());
    examples.pipeInput("k3", example("e3").setGroups(Map.of("a", "1", "b", "2", "c", "3")).build());
    examples.pipeInput("k4", example("e4").setGroups(Map.of("lang-x", "en")).build());
    examples.pipeInput("k5", example("e5").setGroups(Map.of("lang", "english")).build());
    examples.pipeInput(
        "k6",
        example("e6-12345")
            .setText("hello world " + "€".repeat(9) + "a") // exactly 40 bytes
            .setGroups(Map.of("lang", "en123", "src", "web"))
            .build());

    // Then the first five are dead-lettered at validation with the reason and the limit's key
    List<DeadLetter> letters = letters();
    assertThat(letters).extracting(DeadLetter::getStage).containsOnly("validate");
    assertThat(letters)
        .extracting(DeadLetter::getReason)
        .containsExactly(
            "id-too-long", "text-too-long", "too-many-groups", "group-too-long", "group-too-long");
    assertThat(letters.get(0).getError())
        .contains("14 characters")
        .contains("example.max.id.length");
    assertThat(letters.get(1).getError()).contains("42 UTF-8 bytes").contains("at most 40");
    assertThat(letters.get(2).getError()).contains("3 group attributes");
    assertThat(letters.get(3).getError()).contains("example.max.group.key.length");
    assertThat(letters.get(4).getError()).contains("lang").contains("7 characters");
    assertThat(letters)
        .extracting(DeadLetter::getRecordId)
        .containsExactly("id-is-too-long", "e2", "e3", "e4", "e5");
  }

  @Test
  void shouldDeadLetterTenThousandGroupAttributesUnderTheDefaults() {
    // Given the default limits
    start(Map.of());
    Map<String, String> groups = new HashMap<>();
    for (int i = 0; i < 10_000; i++) {
      groups.put("g" + i, "v");
    }

    // When an example brings 10,000 group attributes
    examples.pipeInput("many", example("many").setGroups(groups).build());

    // Then it never reaches the pool's statistics: it is a dead letter
    List<DeadLetter> letters = letters();
    assertThat(letters).extracting(DeadLetter::getReason).containsExactly("too-many-groups");
    assertThat(letters.get(0).getError()).contains("10000 group attributes").contains("at most 32");
  }

  @Test
  void shouldCountUtf8BytesOfSurrogatePairsAsFour() {
    assertThat(ValidateProcessor.utf8Length("a")).isEqualTo(1);
    assertThat(ValidateProcessor.utf8Length("é")).isEqualTo(2);
    assertThat(ValidateProcessor.utf8Length("€")).isEqualTo(3);
    assertThat(ValidateProcessor.utf8Length("😀")).isEqualTo(4);
    String mixed = "a é € 😀";
    assertThat(ValidateProcessor.utf8Length(mixed))
        .isEqualTo(mixed.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
  }
}
