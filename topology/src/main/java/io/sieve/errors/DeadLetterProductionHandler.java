package io.sieve.errors;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;

/**
 * A record that cannot be written (too large for its topic, or failing to serialize) is
 * dead-lettered with the record that caused it. So is a batch whose trainer's topic is missing or
 * refused (deleted, colliding): one trainer's topic must not fail the stream thread, and with it
 * every other trainer, again after every restart; the topic provisioner pauses that trainer and
 * creates its topic again. Other send errors fail the task as usual.
 */
public final class DeadLetterProductionHandler implements ProductionExceptionHandler {

  private DeadLetterSender sender;

  @Override
  public void configure(Map<String, ?> configs) {
    sender = DeadLetterSender.from(configs);
  }

  @Override
  public ProductionExceptionHandlerResponse handle(
      ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
    String reason;
    if (exception instanceof RecordTooLargeException) {
      reason = "record-too-large";
    } else if (sender.isBatchTopic(record.topic())
        && (exception instanceof UnknownTopicOrPartitionException
            || exception instanceof InvalidTopicException
            || exception instanceof TimeoutException)) {
      reason = "batch-unwritable";
    } else {
      return ProductionExceptionHandlerResponse.FAIL;
    }
    boolean written =
        sender.send(context, "produce:" + record.topic(), reason, exception, record.key(), null);
    return written
        ? ProductionExceptionHandlerResponse.CONTINUE
        : ProductionExceptionHandlerResponse.FAIL;
  }

  @Override
  @SuppressWarnings("rawtypes") // the interface declares a raw ProducerRecord
  public ProductionExceptionHandlerResponse handleSerializationException(
      ErrorHandlerContext context,
      ProducerRecord record,
      Exception exception,
      SerializationExceptionOrigin origin) {
    if (RegistryOutage.causedBy(exception)) {
      return ProductionExceptionHandlerResponse.FAIL;
    }
    boolean written =
        sender.send(
            context,
            "produce:" + record.topic(),
            "unserializable",
            exception,
            context.sourceRawKey(),
            context.sourceRawValue());
    return written
        ? ProductionExceptionHandlerResponse.CONTINUE
        : ProductionExceptionHandlerResponse.FAIL;
  }
}
