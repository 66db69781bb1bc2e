/** Running an instance: topic creation, the Kafka Streams app and its error handlers wired in. */
package io.sieve.app;
