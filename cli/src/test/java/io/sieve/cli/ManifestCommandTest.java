package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sieve.avro.BatchManifest;
import io.sieve.avro.ManifestExample;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class ManifestCommandTest {

  @Test
  void shouldReadThePartitionTheProducerWritesATrainersManifestsTo() {
    // Given trainer ids of every shape the spec allows, and partition counts from 1 to 12
    for (String id : List.of("t1", "tr-man", "a.b_c-9", "x".repeat(200), "T", "trainer-42")) {
      for (int n = 1; n <= 12; n++) {
        // Then the command's partition is the default partitioner's for that key
        int producer = BuiltInPartitioner.partitionForKey(id.getBytes(StandardCharsets.UTF_8), n);
        assertThat(ManifestCommand.partitionOf(id, n)).as("%s of %d", id, n).isEqualTo(producer);
      }
    }
  }

  @Test
  void shouldPrintTimesAsIsoAndAMissingScoreAsNull() throws Exception {
    // Given a manifest with one scored and one unscored example
    BatchManifest m =
        BatchManifest.newBuilder()
            .setTrainerId("t1")
            .setSequence(4)
            .setBatchId("t1-4")
            .setRound(2)
            .setCycle(1)
            .setPolicy("ucb")
            .setPolicyStateVersion(7)
            .setSeed(-3)
            .setModelVersion(5)
            .setRequested(2)
            .setComplete(true)
            .setPlannedAt(Instant.parse("2026-01-02T03:04:05.006Z"))
            .setCreatedAt(Instant.parse("2026-01-02T03:04:05.107Z"))
            .setExamples(
                List.of(
                    ManifestExample.newBuilder()
                        .setId("a")
                        .setClusterId(3)
                        .setCycle(4)
                        .setGroups(Map.of("lang", "en"))
                        .setWeight(0.5)
                        .setScore(1.25)
                        .build(),
                    ManifestExample.newBuilder()
                        .setId("b")
                        .setClusterId(0)
                        .setCycle(1)
                        .setWeight(2.0)
                        .build()))
            .build();

    // When it is printed
    JsonNode json = new ObjectMapper().readTree(ManifestCommand.json(m));

    // Then the header, the times and each example are as given; the missing score is null
    assertThat(json.path("seed").asLong()).isEqualTo(-3);
    assertThat(json.path("size").asInt()).isEqualTo(2);
    assertThat(json.path("plannedAt").asText()).isEqualTo("2026-01-02T03:04:05.006Z");
    assertThat(json.path("createdAt").asText()).isEqualTo("2026-01-02T03:04:05.107Z");
    JsonNode a = json.path("examples").get(0);
    assertThat(a.path("groups").path("lang").asText()).isEqualTo("en");
    assertThat(a.path("cycle").asLong()).isEqualTo(4);
    assertThat(a.path("weight").asDouble()).isEqualTo(0.5);
    assertThat(a.path("score").asDouble()).isEqualTo(1.25);
    JsonNode b = json.path("examples").get(1);
    assertThat(b.path("score").isNull()).isTrue();
    assertThat(b.path("groups").size()).isZero();
  }
}
