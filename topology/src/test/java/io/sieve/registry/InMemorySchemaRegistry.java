package io.sieve.registry;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * A {@link SchemaRegistry} in memory, for unit tests. Ids are handed out from 1; like the Confluent
 * registry, the same schema gets the same id under every subject.
 */
public final class InMemorySchemaRegistry implements SchemaRegistry {

  private final Map<Schema, Integer> idsBySchema = new HashMap<>();
  private final Map<Integer, Schema> schemasById = new HashMap<>();
  private final Map<String, Map<Schema, Integer>> subjects = new LinkedHashMap<>();
  private int registrations;

  @Override
  public synchronized int register(String subject, Schema schema) {
    registrations++;
    Integer id =
        idsBySchema.computeIfAbsent(
            schema,
            s -> {
              int next = schemasById.size() + 1;
              schemasById.put(next, s);
              return next;
            });
    subjects.computeIfAbsent(subject, s -> new LinkedHashMap<>()).putIfAbsent(schema, id);
    return id;
  }

  @Override
  public synchronized Schema schemaById(int id) {
    Schema schema = schemasById.get(id);
    if (schema == null) {
      throw new SchemaRegistryException("no schema with id " + id, 404, null);
    }
    return schema;
  }

  /** Whether a schema was registered under {@code subject}. */
  public synchronized boolean hasSubject(String subject) {
    return subjects.containsKey(subject);
  }

  /** Every subject a schema was registered under, in registration order. */
  public synchronized java.util.List<String> subjects() {
    return java.util.List.copyOf(subjects.keySet());
  }

  /** How many times {@link #register} was called. */
  public synchronized int registrations() {
    return registrations;
  }
}
