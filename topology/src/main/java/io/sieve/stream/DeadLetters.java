package io.sieve.stream;

import io.sieve.avro.DeadLetter;
import io.sieve.errors.Originals;
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
    // an original too large for the dead-letter topic is cut, keeping its size and hash
    return Originals.attach(
            DeadLetter.newBuilder()
                .setStage(stage)
                .setReason(reason)
                .setError(Originals.error(error))
                .setTopic(meta.map(RecordMetadata::topic).orElse(null))
                .setPartition(meta.map(RecordMetadata::partition).orElse(null))
                .setOffset(meta.map(RecordMetadata::offset).orElse(null))
                .setRecordId(recordId)
                .setFailedAt(Instant.ofEpochMilli(System.currentTimeMillis())),
            null,
            value)
        .build();
  }
}
