package io.sieve.errors;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bytes that do not deserialize go to the dead-letter topic, inside the task's transaction; the
 * stream goes on.
 */
public final class DeadLetterDeserializationHandler implements DeserializationExceptionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);

  private DeadLetterSender sender;

  @Override
  public void configure(Map<String, ?> configs) {
    sender = DeadLetterSender.from(configs);
  }

  @Override
  public Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    if (RegistryOutage.causedBy(exception)) {
      return Response.fail();
    }
    if (DeadLetterSender.onGlobalThread(context)) {
      boolean written =
          sender.send(
              context, "deserialize", "undeserializable", exception, record.key(), record.value());
      return written ? Response.resume() : Response.fail();
    }
    try {
      return Response.resume(
          List.of(
              sender.deadLetter(
                  context,
                  "deserialize",
                  "undeserializable",
                  exception,
                  record.key(),
                  record.value())));
    } catch (RuntimeException e) {
      // no dead letter, no skip: the task fails and the record is read again
      LOG.error(
          "could not make the dead letter of {}-{}@{}",
          record.topic(),
          record.partition(),
          record.offset(),
          e);
      return Response.fail();
    }
  }
}
