/**
 * Serdes in the Confluent wire format: a zero magic byte, the 4-byte big-endian schema registry id
 * of the writer schema, then the Avro binary encoding of the record. Writer schemas are registered
 * under the TopicNameStrategy subjects ({@code <topic>-key}, {@code <topic>-value}) and resolved
 * against the generated classes' schemas on read, so data written with older schemas stays
 * readable.
 */
package io.sieve.serde;
