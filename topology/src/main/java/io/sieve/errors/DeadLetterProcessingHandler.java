package io.sieve.errors;

import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exception thrown while processing a record dead-letters the source record, naming the node
 * that failed, inside the task's transaction, and the stream goes on. Expected rejections never get
 * here: processors route them to dead letters themselves, with a precise reason.
 */
public final class DeadLetterProcessingHandler implements ProcessingExceptionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProcessingHandler.class);

  private DeadLetterSender sender;

  @Override
  public void configure(Map<String, ?> configs) {
    sender = DeadLetterSender.from(configs);
  }

  @Override
  public Response handleError(
      ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    if (RegistryOutage.causedBy(exception)) {
      return Response.fail();
    }
    String stage = "process:" + context.processorNodeId();
    if (DeadLetterSender.onGlobalThread(context)) {
      boolean written =
          sender.send(
              context,
              stage,
              "processing-error",
              exception,
              context.sourceRawKey(),
              context.sourceRawValue());
      return written ? Response.resume() : Response.fail();
    }
    try {
      return Response.resume(
          List.of(
              sender.deadLetter(
                  context,
                  stage,
                  "processing-error",
                  exception,
                  context.sourceRawKey(),
                  context.sourceRawValue())));
    } catch (RuntimeException e) {
      LOG.error("could not make the dead letter of a record failing at {}", stage, e);
      return Response.fail();
    }
  }
}
