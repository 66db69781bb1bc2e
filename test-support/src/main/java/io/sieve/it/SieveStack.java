package io.sieve.it;

/** Where the scenarios find Kafka and the schema registry (its Confluent-compatible API). */
public record SieveStack(String bootstrapServers, String registryUrl) {}
