package io.sieve.stream;

import io.sieve.avro.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/** Builds dead letters, with the record's origin when the context knows it. */
public final class DeadLetters {

  private DeadLetters() {}

  public static DeadLetter of(
      ProcessorContext<?, ?> context,
      String stage,
      String reason,
      String error,
      String recordId,
      byte[] value) {
    Optional<RecordMetadata> meta = context.recordMetadata();
    return DeadLetter.newBuilder()
        .setStage(stage)
        .setReason(reason)
        .setError(error)
        .setTopic(meta.map(RecordMetadata::topic).orElse(null))
        .setPartition(meta.map(RecordMetadata::partition).orElse(null))
        .setOffset(meta.map(RecordMetadata::offset).orElse(null))
        .setRecordId(recordId)
        .setValue(value == null ? null : ByteBuffer.wrap(value))
        .setFailedAt(Instant.ofEpochMilli(System.currentTimeMillis()))
        .build();
  }
}
