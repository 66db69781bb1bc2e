package io.sieve.validate;

import io.sieve.avro.TrainingExample;
import io.sieve.cluster.Vectors;
import io.sieve.embed.Embedder;
import io.sieve.stream.DeadLetters;
import io.sieve.stream.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Checks an example and gives it a unit-norm embedding: its own, normalised, or one computed from
 * its text. Everything it rejects leaves as a dead letter with the reason.
 */
public final class ValidateProcessor
    implements Processor<String, TrainingExample, String, Outcome<TrainingExample>> {

  public static final String STAGE = "validate";

  private final int dimension;
  private final Embedder embedder;
  private final Serializer<TrainingExample> original;
  private final String topic;
  private ProcessorContext<String, Outcome<TrainingExample>> context;

  public ValidateProcessor(
      int dimension, Embedder embedder, Serializer<TrainingExample> original, String topic) {
    this.dimension = dimension;
    this.embedder = embedder;
    this.original = original;
    this.topic = topic;
  }

  @Override
  public void init(ProcessorContext<String, Outcome<TrainingExample>> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, TrainingExample> record) {
    TrainingExample example = record.value();
    if (example == null) {
      reject(record, null, "tombstone", "an example record must have a value");
      return;
    }
    String id = example.getId();
    if (id == null || id.isBlank()) {
      reject(record, example, "missing-id", "the example has no id");
      return;
    }
    float[] embedding;
    List<Float> given = example.getEmbedding();
    if (given != null) {
      if (given.size() != dimension) {
        reject(
            record,
            example,
            "wrong-dimension",
            "embedding has " + given.size() + " values, expected " + dimension);
        return;
      }
      embedding = new float[dimension];
      for (int i = 0; i < dimension; i++) {
        Float v = given.get(i);
        embedding[i] = v == null ? Float.NaN : v;
      }
      if (!Vectors.allFinite(embedding)) {
        reject(record, example, "non-finite-embedding", "embedding contains NaN or Infinity");
        return;
      }
      if (Vectors.normalize(embedding) == 0.0) {
        reject(record, example, "zero-embedding", "embedding is the zero vector");
        return;
      }
    } else {
      String text = example.getText();
      if (text == null || text.isBlank()) {
        reject(record, example, "no-content", "the example has neither text nor an embedding");
        return;
      }
      try {
        embedding = embedder.embed(text);
      } catch (IllegalArgumentException e) {
        reject(record, example, "no-features", e.getMessage());
        return;
      }
    }
    TrainingExample clean =
        TrainingExample.newBuilder(example).setEmbedding(boxed(embedding)).build();
    context.forward(record.withKey(id).withValue(Outcome.ok(clean)));
  }

  private void reject(
      Record<String, TrainingExample> record, TrainingExample example, String reason, String why) {
    byte[] bytes = example == null ? null : original.serialize(topic, example);
    context.forward(
        record.withValue(
            Outcome.dead(
                DeadLetters.of(context, STAGE, reason, why, recordId(record, example), bytes))));
  }

  /** The example's id, or the record key when the example has none to offer. */
  private static String recordId(Record<String, TrainingExample> record, TrainingExample example) {
    String id = example == null ? null : example.getId();
    return id == null || id.isBlank() ? record.key() : id;
  }

  static List<Float> boxed(float[] v) {
    List<Float> out = new ArrayList<>(v.length);
    for (float f : v) {
      out.add(f);
    }
    return out;
  }
}
