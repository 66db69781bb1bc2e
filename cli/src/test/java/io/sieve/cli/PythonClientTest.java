package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainingBatch;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client module of {@code examples/python-trainer} against Java's Avro: it decodes a
 * batch as Sieve writes it, and Sieve decodes the feedback it writes, evaluation round included;
 * and its own unit tests pass. Skipped when {@code /usr/bin/python3} lacks python3-confluent-kafka.
 */
@EnabledIf(
    value = "io.sieve.cli.LocalIT#pythonHasConfluentKafka",
    disabledReason = "the interpreter cannot import confluent_kafka (python3-confluent-kafka)")
class PythonClientTest {

  @TempDir Path temp;

  private final ObjectMapper json = new ObjectMapper();

  @Test
  void shouldDecodeABatchAsSieveWritesIt() throws Exception {
    TrainingBatch batch =
        TrainingBatch.newBuilder()
            .setBatchId("t1-7")
            .setTrainerId("t1")
            .setSequence(7)
            .setRound(3)
            .setCycle(1)
            .setPolicy("uniform")
            .setPolicyStateVersion(12)
            .setSeed(-42)
            .setModelVersion(5)
            .setExamples(
                List.of(
                    BatchExample.newBuilder()
                        .setId("ex-1")
                        .setClusterId(2)
                        .setText("héllo")
                        .setEmbedding(List.of(1.5f, -0.25f, 3.0e-7f))
                        .setGroups(Map.of("lang", "en"))
                        .setWeight(0.75)
                        .build(),
                    BatchExample.newBuilder().setId("ex-2").setClusterId(3).build()))
            .setClusterCounts(Map.of("2", 1, "3", 1))
            .setGroupCounts(Map.of("lang=en", 1))
            .setRequested(2)
            .setComplete(true)
            .setPlannedAt(Instant.ofEpochMilli(1_700_000_000_000L))
            .setAssembledAt(Instant.ofEpochMilli(1_700_000_000_500L))
            .build();
    Files.write(temp.resolve("batch.bin"), binary(batch, TrainingBatch.getClassSchema()));
    Files.writeString(temp.resolve("batch.avsc"), TrainingBatch.getClassSchema().toString());

    String decoded =
        python(
            "import io, json, sys",
            "from sieve_client import Schema, decode",
            "schema = Schema(json.load(open(sys.argv[1] + '/batch.avsc')))",
            "data = open(sys.argv[1] + '/batch.bin', 'rb').read()",
            "print(json.dumps(decode(schema.root, io.BytesIO(data))))");

    JsonNode b = json.readTree(decoded);
    assertThat(b.path("batchId").asText()).isEqualTo("t1-7");
    assertThat(b.path("sequence").asLong()).isEqualTo(7);
    assertThat(b.path("seed").asLong()).isEqualTo(-42);
    assertThat(b.path("assembledAt").asLong()).isEqualTo(1_700_000_000_500L);
    JsonNode first = b.path("examples").get(0);
    assertThat(first.path("text").asText()).isEqualTo("héllo");
    assertThat(first.path("groups").path("lang").asText()).isEqualTo("en");
    assertThat(first.path("weight").asDouble()).isEqualTo(0.75);
    // float32 values, compared as float32
    assertThat((float) first.path("embedding").get(2).asDouble()).isEqualTo(3.0e-7f);
    assertThat((float) first.path("embedding").get(1).asDouble()).isEqualTo(-0.25f);
    JsonNode second = b.path("examples").get(1);
    assertThat(second.path("text").isNull()).isTrue();
    assertThat(second.path("embedding").isNull()).isTrue();
    assertThat(b.path("clusterCounts").path("3").asInt()).isEqualTo(1);
  }

  @Test
  void shouldWriteFeedbackThatSieveReads() throws Exception {
    python(
        "import io, json, os, sys",
        "from sieve_client import DEFAULT_SCHEMA_DIR, Schema, encode, load_schema_file",
        "raw = load_schema_file(os.path.join(DEFAULT_SCHEMA_DIR, 'TrainerFeedback.avsc'))",
        "out = io.BytesIO()",
        "encode(Schema(raw).root, {'trainerId': 't1', 'batchId': 't1-7',",
        "  'exampleLosses': {'ex-1': 0.5}, 'clusterLearnability': {'2': 0.125},",
        "  'evaluation': {'round': 4, 'validationLoss': 1.5, 'groupLosses': {'lang=en': 1.25},",
        "                 'trainedGroupCounts': {'lang=en': 64}, 'trainedClusterCounts': {'2': 64}},",
        "  'sentAt': 1700000000001}, out)",
        "open(sys.argv[1] + '/feedback.bin', 'wb').write(out.getvalue())",
        "json.dump(raw, open(sys.argv[1] + '/feedback.avsc', 'w'))");

    Schema writer = new Schema.Parser().parse(temp.resolve("feedback.avsc").toFile());
    SpecificDatumReader<TrainerFeedback> reader =
        new SpecificDatumReader<>(writer, TrainerFeedback.getClassSchema());
    TrainerFeedback f =
        reader.read(
            null,
            DecoderFactory.get()
                .binaryDecoder(Files.readAllBytes(temp.resolve("feedback.bin")), null));

    assertThat(f.getBatchId()).isEqualTo("t1-7");
    assertThat(f.getExampleLosses()).containsEntry("ex-1", 0.5);
    assertThat(f.getClusterLearnability()).containsEntry("2", 0.125);
    assertThat(f.getEvaluation().getRound()).isEqualTo(4);
    assertThat(f.getEvaluation().getValidationLoss()).isEqualTo(1.5);
    assertThat(f.getEvaluation().getTrainedGroupCounts()).containsEntry("lang=en", 64L);
    assertThat(f.getSentAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_001L));
  }

  @Test
  void shouldPassItsOwnUnitTests() throws Exception {
    Process p =
        new ProcessBuilder(LocalIT.PYTHON.toString(), "-m", "unittest", "-v", "test_sieve_client")
            .directory(clientDir().toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("OK").containsPattern("Ran [1-9]\\d* tests");
  }

  private static <T> byte[] binary(T datum, Schema schema) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<T>(schema).write(datum, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  /** Runs a script with the client module importable and the temp dir as argv[1]. */
  private String python(String... lines) throws Exception {
    Path script = temp.resolve("script.py");
    Files.writeString(script, String.join("\n", lines) + "\n");
    ProcessBuilder pb =
        new ProcessBuilder(LocalIT.PYTHON.toString(), script.toString(), temp.toString())
            .redirectErrorStream(true);
    pb.environment().put("PYTHONPATH", clientDir().toString());
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    return output;
  }

  private static Path clientDir() {
    return Path.of(System.getProperty("sieve.repo.root", ".."))
        .toAbsolutePath()
        .normalize()
        .resolve("examples/python-trainer");
  }
}
