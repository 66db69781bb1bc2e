/**
 * Kafka Streams' error handlers: undeserializable input, processing exceptions and unwritable
 * records become dead letters, so bad input never stops the stream and is never dropped silently.
 */
package io.sieve.errors;
