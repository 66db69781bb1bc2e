package io.sieve.errors;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record that cannot be written (too large for its topic, or failing to serialize) is
 * dead-lettered with the record that caused it, through the task's producer. So is a batch whose
 * trainer's topic is missing or refused (deleted, colliding): one trainer's topic must not fail the
 * stream thread, and with it every other trainer, again after every restart; the topic provisioner
 * pauses that trainer and creates its topic again. Other send errors fail the task as usual.
 */
public final class DeadLetterProductionHandler implements ProductionExceptionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProductionHandler.class);

  private DeadLetterSender sender;

  @Override
  public void configure(Map<String, ?> configs) {
    sender = DeadLetterSender.from(configs);
  }

  @Override
  public Response handleError(
      ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
    // a dead letter that cannot be written is not dead-lettered again: that could loop forever
    if (sender.topic().equals(record.topic())) {
      return Response.fail();
    }
    String reason;
    if (exception instanceof RecordTooLargeException) {
      reason = "record-too-large";
    } else if (sender.isBatchTopic(record.topic())
        && (exception instanceof UnknownTopicOrPartitionException
            || exception instanceof InvalidTopicException
            || exception instanceof TimeoutException)) {
      reason = "batch-unwritable";
    } else {
      return Response.fail();
    }
    return respond(context, "produce:" + record.topic(), reason, exception, record.key(), null);
  }

  @Override
  @SuppressWarnings("rawtypes") // the interface declares a raw ProducerRecord
  public Response handleSerializationError(
      ErrorHandlerContext context,
      ProducerRecord record,
      Exception exception,
      SerializationExceptionOrigin origin) {
    if (RegistryOutage.causedBy(exception)) {
      return Response.fail();
    }
    return respond(
        context,
        "produce:" + record.topic(),
        "unserializable",
        exception,
        context.sourceRawKey(),
        context.sourceRawValue());
  }

  private Response respond(
      ErrorHandlerContext context,
      String stage,
      String reason,
      Exception exception,
      byte[] key,
      byte[] value) {
    try {
      return Response.resume(
          List.of(sender.deadLetter(context, stage, reason, exception, key, value)));
    } catch (RuntimeException e) {
      LOG.error("could not make the dead letter of a record failing at {}", stage, e);
      return Response.fail();
    }
  }
}
