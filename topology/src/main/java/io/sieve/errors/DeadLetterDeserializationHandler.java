package io.sieve.errors;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

/** Bytes that do not deserialize go to the dead-letter topic; the stream goes on. */
public final class DeadLetterDeserializationHandler implements DeserializationExceptionHandler {

  private DeadLetterSender sender;

  @Override
  public void configure(Map<String, ?> configs) {
    sender = DeadLetterSender.from(configs);
  }

  @Override
  public DeserializationHandlerResponse handle(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    if (RegistryOutage.causedBy(exception)) {
      return DeserializationHandlerResponse.FAIL;
    }
    boolean written =
        sender.send(
            context, "deserialize", "undeserializable", exception, record.key(), record.value());
    return written ? DeserializationHandlerResponse.CONTINUE : DeserializationHandlerResponse.FAIL;
  }
}
