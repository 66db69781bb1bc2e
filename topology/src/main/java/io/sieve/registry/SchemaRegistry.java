package io.sieve.registry;

import org.apache.avro.Schema;

/** The two operations Sieve needs from a schema registry. Implementations are thread-safe. */
public interface SchemaRegistry {

  /**
   * Registers {@code schema} under {@code subject} (or finds it already registered) and returns its
   * global id.
   *
   * @throws SchemaRegistryException if the registry rejects the schema or cannot be reached
   */
  int register(String subject, Schema schema);

  /**
   * Returns the schema with the given global id.
   *
   * @throws SchemaRegistryException if there is no such schema or the registry cannot be reached
   */
  Schema schemaById(int id);
}
