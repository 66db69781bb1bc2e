package io.sieve.validate;

import io.sieve.avro.TrainingExample;
import io.sieve.cluster.Vectors;
import io.sieve.config.SieveConfig;
import io.sieve.embed.Embedder;
import io.sieve.serde.Embeddings;
import io.sieve.stream.DeadLetters;
import io.sieve.stream.Outcome;
import java.util.List;
import java.util.Map;
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

  /**
   * What one example may bring. Every group attribute is counted in its cluster's statistics, which
   * planning and the REST API read whole, and texts and ids travel in every batch: one example must
   * not be able to make those unbounded.
   *
   * @param maxIdLength characters of the id
   * @param maxTextBytes UTF-8 bytes of the text
   * @param maxGroups group attributes
   * @param maxGroupKeyLength characters of an attribute's name
   * @param maxGroupValueLength characters of an attribute's value
   */
  public record Limits(
      int maxIdLength,
      int maxTextBytes,
      int maxGroups,
      int maxGroupKeyLength,
      int maxGroupValueLength) {

    /** The limits of {@code config}'s {@code example.max.*} keys. */
    public static Limits from(SieveConfig config) {
      return new Limits(
          config.getInt(SieveConfig.EXAMPLE_MAX_ID_LENGTH_CONFIG),
          config.getInt(SieveConfig.EXAMPLE_MAX_TEXT_BYTES_CONFIG),
          config.getInt(SieveConfig.EXAMPLE_MAX_GROUPS_CONFIG),
          config.getInt(SieveConfig.EXAMPLE_MAX_GROUP_KEY_LENGTH_CONFIG),
          config.getInt(SieveConfig.EXAMPLE_MAX_GROUP_VALUE_LENGTH_CONFIG));
    }

    /** The defaults of {@link SieveConfig}. */
    public static final Limits DEFAULT =
        new Limits(
            SieveConfig.EXAMPLE_MAX_ID_LENGTH_DEFAULT,
            SieveConfig.EXAMPLE_MAX_TEXT_BYTES_DEFAULT,
            SieveConfig.EXAMPLE_MAX_GROUPS_DEFAULT,
            SieveConfig.EXAMPLE_MAX_GROUP_KEY_LENGTH_DEFAULT,
            SieveConfig.EXAMPLE_MAX_GROUP_VALUE_LENGTH_DEFAULT);
  }

  private final int dimension;
  private final Embedder embedder;
  private final Serializer<TrainingExample> original;
  private final String topic;
  private final Limits limits;
  private ProcessorContext<String, Outcome<TrainingExample>> context;

  public ValidateProcessor(
      int dimension, Embedder embedder, Serializer<TrainingExample> original, String topic) {
    this(dimension, embedder, original, topic, Limits.DEFAULT);
  }

  public ValidateProcessor(
      int dimension,
      Embedder embedder,
      Serializer<TrainingExample> original,
      String topic,
      Limits limits) {
    this.dimension = dimension;
    this.embedder = embedder;
    this.original = original;
    this.topic = topic;
    this.limits = limits;
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
    String over = overLimit(example);
    if (over != null) {
      int colon = over.indexOf(':');
      reject(record, example, over.substring(0, colon), over.substring(colon + 2));
      return;
    }
    float[] embedding;
    String embeddedBy = null;
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
        embeddedBy = embedder.name();
      } catch (IllegalArgumentException e) {
        reject(record, example, "no-features", e.getMessage());
        return;
      }
    }
    // The record is this processor's own, freshly decoded: it is filled in place, because a copy
    // would box the producer's floats once more. From here on the embedding travels packed.
    example.setEmbedding(null);
    example.setPacked(Embeddings.pack(embedding));
    example.setEmbeddedBy(embeddedBy);
    context.forward(record.withKey(id).withValue(Outcome.ok(example)));
  }

  private void reject(
      Record<String, TrainingExample> record, TrainingExample example, String reason, String why) {
    byte[] bytes = example == null ? null : original.serialize(topic, example);
    context.forward(
        record.withValue(
            Outcome.dead(
                DeadLetters.of(context, STAGE, reason, why, recordId(record, example), bytes))));
  }

  /** "reason: detail" for the first admission limit {@code example} exceeds, or null. */
  private String overLimit(TrainingExample example) {
    String id = example.getId();
    if (id.length() > limits.maxIdLength()) {
      return "id-too-long: the id has "
          + id.length()
          + " characters, at most "
          + limits.maxIdLength()
          + " are accepted (example.max.id.length)";
    }
    String text = example.getText();
    if (text != null) {
      long bytes = utf8Length(text);
      if (bytes > limits.maxTextBytes()) {
        return "text-too-long: the text has "
            + bytes
            + " UTF-8 bytes, at most "
            + limits.maxTextBytes()
            + " are accepted (example.max.text.bytes)";
      }
    }
    Map<String, String> groups = example.getGroups();
    if (groups != null) {
      if (groups.size() > limits.maxGroups()) {
        return "too-many-groups: the example has "
            + groups.size()
            + " group attributes, at most "
            + limits.maxGroups()
            + " are accepted (example.max.groups)";
      }
      for (Map.Entry<String, String> g : groups.entrySet()) {
        String key = g.getKey();
        String value = g.getValue();
        if (key.length() > limits.maxGroupKeyLength()) {
          return "group-too-long: a group attribute name has "
              + key.length()
              + " characters, at most "
              + limits.maxGroupKeyLength()
              + " are accepted (example.max.group.key.length)";
        }
        if (value != null && value.length() > limits.maxGroupValueLength()) {
          return "group-too-long: the value of group attribute "
              + key
              + " has "
              + value.length()
              + " characters, at most "
              + limits.maxGroupValueLength()
              + " are accepted (example.max.group.value.length)";
        }
      }
    }
    return null;
  }

  /** The UTF-8 length of {@code s}, without encoding it. */
  public static long utf8Length(CharSequence s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** The example's id, or the record key when the example has none to offer. */
  private static String recordId(Record<String, TrainingExample> record, TrainingExample example) {
    String id = example == null ? null : example.getId();
    return id == null || id.isBlank() ? record.key() : id;
  }
}
