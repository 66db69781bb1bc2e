package io.sieve.errors;

import java.util.Map;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;

/**
 * An exception thrown while processing a record dead-letters the source record, naming the node
 * that failed, and the stream goes on. Expected rejections never get here: processors route them to
 * dead letters themselves, with a precise reason.
 */
public final class DeadLetterProcessingHandler implements ProcessingExceptionHandler {

  private DeadLetterSender sender;

  @Override
  public void configure(Map<String, ?> configs) {
    sender = DeadLetterSender.from(configs);
  }

  @Override
  public ProcessingHandlerResponse handle(
      ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    if (RegistryOutage.causedBy(exception)) {
      return ProcessingHandlerResponse.FAIL;
    }
    boolean written =
        sender.send(
            context,
            "process:" + context.processorNodeId(),
            "processing-error",
            exception,
            context.sourceRawKey(),
            context.sourceRawValue());
    return written ? ProcessingHandlerResponse.CONTINUE : ProcessingHandlerResponse.FAIL;
  }
}
