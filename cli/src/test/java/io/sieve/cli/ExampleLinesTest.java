package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainingExample;
import io.sieve.cli.ExampleLines.Accepted;
import io.sieve.cli.ExampleLines.Parsed;
import io.sieve.cli.ExampleLines.Rejected;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExampleLinesTest {

  @Test
  void shouldReadEveryFieldOfAnExample() {
    // Given a line with every field
    String line =
        "{\"id\":\"ex-1\",\"text\":\"hello\",\"embedding\":[1,0.5],\"groups\":{\"lang\":\"en\"},"
            + "\"label\":\"greeting\",\"score\":0.25,\"eventTime\":\"2026-01-02T03:04:05Z\","
            + "\"extra\":{\"ignored\":true}}";
    // When it is parsed
    Parsed parsed = ExampleLines.parse(line);
    // Then it is an example with those values, the unknown field ignored
    assertThat(parsed).isInstanceOf(Accepted.class);
    TrainingExample e = ((Accepted) parsed).example();
    assertThat(e.getId()).isEqualTo("ex-1");
    assertThat(e.getText()).isEqualTo("hello");
    assertThat(e.getEmbedding()).containsExactly(1f, 0.5f);
    assertThat(e.getGroups()).isEqualTo(Map.of("lang", "en"));
    assertThat(e.getLabel()).isEqualTo("greeting");
    assertThat(e.getScore()).isEqualTo(0.25);
    assertThat(e.getEventTime()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
  }

  @Test
  void shouldTreatNullAsAbsentAndReadEpochMillis() {
    // When a line has nulls and an epoch-millisecond event time
    Parsed parsed =
        ExampleLines.parse("{\"id\":\"a\",\"text\":null,\"embedding\":null,\"eventTime\":1000}");
    // Then the example has no text or embedding, and the event time is read as milliseconds
    TrainingExample e = ((Accepted) parsed).example();
    assertThat(e.getText()).isNull();
    assertThat(e.getEmbedding()).isNull();
    assertThat(e.getGroups()).isEmpty();
    assertThat(e.getEventTime()).isEqualTo(Instant.ofEpochMilli(1000));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"id\": \"a\", |bad-json",
        "not json at all|bad-json",
        "[1, 2]|not-an-object",
        "{\"text\": \"no id\"}|missing-id",
        "{\"id\": null}|missing-id",
        "{\"id\": \"  \"}|missing-id",
        "{\"id\": 7}|wrong-type",
        "{\"id\": \"a\", \"text\": 3}|wrong-type",
        "{\"id\": \"a\", \"embedding\": \"0.1,0.2\"}|wrong-type",
        "{\"id\": \"a\", \"embedding\": [0.1, \"x\"]}|wrong-type",
        "{\"id\": \"a\", \"groups\": {\"lang\": 1}}|wrong-type",
        "{\"id\": \"a\", \"groups\": [\"en\"]}|wrong-type",
        "{\"id\": \"a\", \"score\": \"high\"}|wrong-type",
        "{\"id\": \"a\", \"eventTime\": \"yesterday\"}|wrong-type"
      })
  void shouldRejectLinesWithTheirReason(String line, String reason) {
    // When a malformed line is parsed
    Parsed parsed = ExampleLines.parse(line);
    // Then it is rejected with the reason and a detail that names the problem
    assertThat(parsed).isInstanceOf(Rejected.class);
    assertThat(((Rejected) parsed).reason()).isEqualTo(reason);
    assertThat(((Rejected) parsed).detail()).isNotBlank();
  }

  @Test
  void shouldNameTheFieldOfAWrongType() {
    // When an embedding holds a string
    Rejected r = (Rejected) ExampleLines.parse("{\"id\":\"a\",\"embedding\":[0.1,\"x\"]}");
    // Then the detail names the element
    assertThat(r.detail()).isEqualTo("\"embedding\"[1] must be a number, got string");
    assertThat(List.of(r.reason())).containsExactly(ExampleLines.WRONG_TYPE);
  }
}
