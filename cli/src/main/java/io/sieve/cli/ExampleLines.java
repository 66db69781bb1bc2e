package io.sieve.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sieve.avro.TrainingExample;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one JSON line as a {@link TrainingExample}, or says why it cannot.
 *
 * <p>A line is an object with the fields of {@code TrainingExample.avsc}: {@code id} (a non-empty
 * string, required), {@code text} (string), {@code embedding} (array of numbers), {@code groups}
 * (object of strings), {@code label} (string), {@code score} (number), {@code eventTime} (epoch
 * milliseconds or an ISO-8601 instant). {@code null} is the same as absent. Other fields are
 * ignored, so records with extra upstream metadata still load. What Sieve itself checks (the
 * embedding's dimension, finite values, text or embedding present) is left to Sieve, which
 * dead-letters such records with its own reasons.
 */
final class ExampleLines {

  /** The line is not JSON. */
  static final String BAD_JSON = "bad-json";

  /** The line is JSON but not an object. */
  static final String NOT_AN_OBJECT = "not-an-object";

  /** {@code id} is absent, null or blank. */
  static final String MISSING_ID = "missing-id";

  /** A field has the wrong JSON type. */
  static final String WRONG_TYPE = "wrong-type";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The outcome of one line: an example, or a reason and detail. */
  sealed interface Parsed permits Accepted, Rejected {}

  record Accepted(TrainingExample example) implements Parsed {}

  record Rejected(String reason, String detail) implements Parsed {}

  private ExampleLines() {}

  static Parsed parse(String line) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return new Rejected(BAD_JSON, e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      return new Rejected(NOT_AN_OBJECT, "expected a JSON object, got " + kind(node));
    }
    JsonNode id = field(node, "id");
    if (id == null) {
      return new Rejected(MISSING_ID, "no \"id\"");
    }
    if (!id.isTextual()) {
      return new Rejected(WRONG_TYPE, "\"id\" must be a string, got " + kind(id));
    }
    if (id.asText().isBlank()) {
      return new Rejected(MISSING_ID, "\"id\" is blank");
    }
    TrainingExample.Builder b = TrainingExample.newBuilder().setId(id.asText());
    try {
      b.setText(string(node, "text"));
      b.setLabel(string(node, "label"));
      b.setEmbedding(embedding(node));
      b.setGroups(groups(node));
      JsonNode score = field(node, "score");
      if (score != null) {
        b.setScore(number(score, "\"score\""));
      }
      b.setEventTime(eventTime(node));
    } catch (WrongType e) {
      return new Rejected(WRONG_TYPE, e.getMessage());
    }
    return new Accepted(b.build());
  }

  /** The field, or null when absent or JSON null. */
  private static JsonNode field(JsonNode node, String name) {
    JsonNode f = node.get(name);
    return f == null || f.isNull() ? null : f;
  }

  private static String string(JsonNode node, String name) {
    JsonNode f = field(node, name);
    if (f == null) {
      return null;
    }
    if (!f.isTextual()) {
      throw new WrongType("\"" + name + "\" must be a string, got " + kind(f));
    }
    return f.asText();
  }

  private static double number(JsonNode f, String name) {
    if (!f.isNumber()) {
      throw new WrongType(name + " must be a number, got " + kind(f));
    }
    return f.asDouble();
  }

  private static List<Float> embedding(JsonNode node) {
    JsonNode f = field(node, "embedding");
    if (f == null) {
      return null;
    }
    if (!f.isArray()) {
      throw new WrongType("\"embedding\" must be an array of numbers, got " + kind(f));
    }
    List<Float> out = new ArrayList<>(f.size());
    for (int i = 0; i < f.size(); i++) {
      out.add((float) number(f.get(i), "\"embedding\"[" + i + "]"));
    }
    return out;
  }

  private static Map<String, String> groups(JsonNode node) {
    JsonNode f = field(node, "groups");
    Map<String, String> out = new LinkedHashMap<>();
    if (f == null) {
      return out;
    }
    if (!f.isObject()) {
      throw new WrongType("\"groups\" must be an object of strings, got " + kind(f));
    }
    for (Map.Entry<String, JsonNode> e : f.properties()) {
      if (!e.getValue().isTextual()) {
        throw new WrongType(
            "\"groups\"." + e.getKey() + " must be a string, got " + kind(e.getValue()));
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static Instant eventTime(JsonNode node) {
    JsonNode f = field(node, "eventTime");
    if (f == null) {
      return null;
    }
    if (f.isIntegralNumber()) {
      return Instant.ofEpochMilli(f.asLong());
    }
    if (f.isTextual()) {
      try {
        return Instant.parse(f.asText());
      } catch (DateTimeParseException e) {
        throw new WrongType("\"eventTime\" is not an ISO-8601 instant: " + f.asText());
      }
    }
    throw new WrongType(
        "\"eventTime\" must be epoch milliseconds or an ISO-8601 string, got " + kind(f));
  }

  private static String kind(JsonNode node) {
    return node == null
        ? "nothing"
        : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
  }

  /** A field of the wrong type; caught in {@link #parse} and turned into a rejection. */
  private static final class WrongType extends RuntimeException {
    private static final long serialVersionUID = 1L;

    WrongType(String message) {
      super(message, null, false, false);
    }
  }
}
