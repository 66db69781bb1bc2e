package io.sieve.errors;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.DeadLetter;
import io.sieve.config.SieveConfig;
import io.sieve.registry.InMemorySchemaRegistry;
import io.sieve.registry.SchemaRegistryException;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.SieveMetrics;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.SerializationExceptionOrigin;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The handlers of a stream task hand their dead letters back to Kafka Streams, which writes them
 * with the task's producer (inside its transaction); they fail the task rather than skip a record
 * whose dead letter they cannot make.
 */
class DeadLetterHandlersTest {

  private static final String DEAD_LETTERS = "sieve.dead-letters";
  private static final byte[] KEY = "k-1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] VALUE = {9, 9, 9};

  private final SieveMetrics metrics = new SieveMetrics();
  private AvroSerdes serdes;
  private DeadLetterSender sender;
  private Map<String, Object> configs;

  @BeforeEach
  void makeSender() {
    Map<String, Object> props = new HashMap<>();
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://unused");
    props.put(SieveConfig.APPLICATION_ID_CONFIG, "handlers-test");
    SieveConfig config = new SieveConfig(props);
    serdes = new AvroSerdes(new InMemorySchemaRegistry());
    sender = new DeadLetterSender(config, serdes, metrics);
    configs = Map.of(DeadLetterSender.SENDER_CONFIG, sender);
  }

  @AfterEach
  void closeSender() {
    sender.close();
  }

  /** The context of a record of task 0_3 at examples-3@42. */
  private static ErrorHandlerContext taskContext() {
    return new Context(new TaskId(0, 3), "sieve.examples", 3, 42L, "validate", KEY, VALUE);
  }

  private DeadLetter only(List<ProducerRecord<byte[], byte[]>> records) {
    assertThat(records).hasSize(1);
    ProducerRecord<byte[], byte[]> record = records.get(0);
    assertThat(record.topic()).isEqualTo(DEAD_LETTERS);
    return serdes.deserialize(DEAD_LETTERS, record.value(), DeadLetter.class);
  }

  @Test
  void shouldHandBackUndeserializableBytesAsADeadLetterAndResume() {
    DeadLetterDeserializationHandler handler = new DeadLetterDeserializationHandler();
    handler.configure(configs);

    // When bytes of examples-3@42 fail to deserialize
    DeserializationExceptionHandler.Response response =
        handler.handleError(
            taskContext(),
            new ConsumerRecord<>("sieve.examples", 3, 42L, KEY, VALUE),
            new SerializationException("unknown magic byte"));

    // Then the task resumes, handing back one dead letter with the original bytes and place
    assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
    DeadLetter letter = only(response.deadLetterQueueRecords());
    assertThat(letter.getStage()).isEqualTo("deserialize");
    assertThat(letter.getReason()).isEqualTo("undeserializable");
    assertThat(letter.getTopic()).isEqualTo("sieve.examples");
    assertThat(letter.getPartition()).isEqualTo(3);
    assertThat(letter.getOffset()).isEqualTo(42L);
    assertThat(letter.getValue().array()).isEqualTo(VALUE);
    assertThat(letter.getError()).contains("unknown magic byte");
    assertThat(response.deadLetterQueueRecords().get(0).key()).isEqualTo(KEY);
    assertThat(metrics.deadLettersByReason()).containsEntry("undeserializable", 1L);
  }

  @Test
  void shouldFailOnARegistryOutageInsteadOfDeadLettering() {
    DeadLetterDeserializationHandler handler = new DeadLetterDeserializationHandler();
    handler.configure(configs);

    // When the bytes failed because the registry did not answer
    DeserializationExceptionHandler.Response response =
        handler.handleError(
            taskContext(),
            new ConsumerRecord<>("sieve.examples", 3, 42L, KEY, VALUE),
            new SerializationException("lookup", new SchemaRegistryException("refused")));

    // Then the task fails (the record is read again later) and nothing is dead-lettered
    assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.FAIL);
    assertThat(response.deadLetterQueueRecords()).isEmpty();
    assertThat(metrics.deadLettersByReason()).isEmpty();
  }

  @Test
  void shouldDeadLetterTheSourceRecordOfAProcessingErrorNamingTheNode() {
    DeadLetterProcessingHandler handler = new DeadLetterProcessingHandler();
    handler.configure(configs);

    ProcessingExceptionHandler.Response response =
        handler.handleError(
            taskContext(), new Record<>("k-1", "v", 0L), new IllegalStateException("boom"));

    assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
    DeadLetter letter = only(response.deadLetterQueueRecords());
    assertThat(letter.getStage()).isEqualTo("process:validate");
    assertThat(letter.getReason()).isEqualTo("processing-error");
    assertThat(letter.getValue().array()).isEqualTo(VALUE);
    assertThat(letter.getError()).contains("IllegalStateException: boom");
  }

  @Test
  void shouldDeadLetterARecordTooLargeForItsTopicButNeverADeadLetter() {
    DeadLetterProductionHandler handler = new DeadLetterProductionHandler();
    handler.configure(configs);
    byte[] big = new byte[64];

    // When a batch is too large for its topic, it is dead-lettered (key only) and the task resumes
    ProductionExceptionHandler.Response batch =
        handler.handleError(
            taskContext(),
            new ProducerRecord<>("sieve.batches.t1", KEY, big),
            new RecordTooLargeException("too large"));
    assertThat(batch.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
    DeadLetter letter = only(batch.deadLetterQueueRecords());
    assertThat(letter.getStage()).isEqualTo("produce:sieve.batches.t1");
    assertThat(letter.getReason()).isEqualTo("record-too-large");
    assertThat(letter.getValue()).isNull();

    // But a dead letter too large for the dead-letter topic fails the task: no dead letter of it
    ProductionExceptionHandler.Response ofLetter =
        handler.handleError(
            taskContext(),
            new ProducerRecord<>(DEAD_LETTERS, KEY, big),
            new RecordTooLargeException("too large"));
    assertThat(ofLetter.result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
    assertThat(ofLetter.deadLetterQueueRecords()).isEmpty();

    // A batch whose topic cannot be written (timed out waiting for a deleted topic) stays that
    // trainer's problem: dead-lettered, the task resumes
    ProductionExceptionHandler.Response unwritable =
        handler.handleError(
            taskContext(),
            new ProducerRecord<>("sieve.batches.t1", KEY, big),
            new org.apache.kafka.common.errors.TimeoutException("slow"));
    assertThat(unwritable.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
    assertThat(only(unwritable.deadLetterQueueRecords()).getReason()).isEqualTo("batch-unwritable");

    // and any other send error fails the task as usual
    ProductionExceptionHandler.Response other =
        handler.handleError(
            taskContext(),
            new ProducerRecord<>("sieve-app-plan-by-cluster-repartition", KEY, big),
            new org.apache.kafka.common.errors.TimeoutException("slow"));
    assertThat(other.result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
  }

  @Test
  void shouldDeadLetterTheSourceOfAnUnserializableRecord() {
    DeadLetterProductionHandler handler = new DeadLetterProductionHandler();
    handler.configure(configs);

    ProductionExceptionHandler.Response response =
        handler.handleSerializationError(
            taskContext(),
            new ProducerRecord<>("sieve.batches.t1", "k-1", "not avro"),
            new SerializationException("cannot"),
            SerializationExceptionOrigin.VALUE);

    assertThat(response.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
    DeadLetter letter = only(response.deadLetterQueueRecords());
    assertThat(letter.getReason()).isEqualTo("unserializable");
    assertThat(letter.getValue().array()).isEqualTo(VALUE);
  }

  @Test
  void shouldTellTheGlobalThreadFromATask() {
    assertThat(DeadLetterSender.onGlobalThread(taskContext())).isFalse();
    assertThat(
            DeadLetterSender.onGlobalThread(
                new Context(new TaskId(-1, -1), "sieve.centroids", 0, 1L, "g", KEY, VALUE)))
        .isTrue();
  }

  private record Context(
      TaskId taskId,
      String topic,
      int partition,
      long offset,
      String processorNodeId,
      byte[] sourceRawKey,
      byte[] sourceRawValue)
      implements ErrorHandlerContext {

    @Override
    public Headers headers() {
      return new RecordHeaders();
    }

    @Override
    public long timestamp() {
      return 0L;
    }
  }
}
